// ScanNet's JSON annotation files.
//   *.segs.json        {"params": {...}, "sceneId": "...", "segIndices": [per-vertex segment id]}
//   *.aggregation.json {"sceneId", "appId", "segGroups": [{"id","objectId","segments":[..],"label"}], "segmentsFile"}
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace inst3d {

struct Segmentation {
    std::string sceneId;
    std::vector<int32_t> segIndices;                         // [V]
    std::vector<std::pair<std::string, std::string>> params; // kept for round-trips
};

struct SegGroup {
    int id = 0;
    int objectId = 0;
    std::vector<int> segments;
    std::string label;
};

struct Aggregation {
    std::string sceneId;       // "scannet.scene0000_00" in the release
    std::string appId = "Aggregator.v2";
    std::string annotationId;
    std::string segmentsFile;  // "scannet.scene0000_00_vh_clean_2.0.010000.segs.json"
    std::vector<SegGroup> segGroups;
};

Segmentation readSegs(const std::string& path);
void writeSegs(const std::string& path, const Segmentation& segs);
Aggregation readAggregation(const std::string& path);
void writeAggregation(const std::string& path, const Aggregation& agg);

}  // namespace inst3d
