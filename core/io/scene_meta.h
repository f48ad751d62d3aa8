// <scene>.txt: "key = value" lines (axisAlignment, colorWidth, fx_color, ..., sceneType).
#pragma once
#include <string>

#include "core/common/math.h"
#include "core/scene/frames.h"
#include "core/scene/scene.h"

namespace inst3d {

SceneMeta readSceneMeta(const std::string& path);
void writeSceneMeta(const std::string& path, const SceneMeta& meta);

// Typed views on the entries. Missing axisAlignment -> identity. Malformed values throw naming `path`.
Mat4 axisAlignmentOf(const SceneMeta& meta, const std::string& path);
void setAxisAlignment(SceneMeta& meta, const Mat4& m);
// Intrinsics from fx_color/fy_color/mx_color/my_color + colorWidth/colorHeight (or the _depth keys).
// Returns false when the keys are absent.
bool colorIntrinsicsOf(const SceneMeta& meta, const std::string& path, Intrinsics& out);
bool depthIntrinsicsOf(const SceneMeta& meta, const std::string& path, Intrinsics& out);
void setIntrinsics(SceneMeta& meta, const Intrinsics& color, const Intrinsics& depth);

// 4x4 matrices as text: 16 numbers, 4 per line (pose/<i>.txt, intrinsic/*.txt). "-inf" parses.
Mat4 parseMatrix4(const std::string& text, const std::string& path);
std::string formatMatrix4(const Mat4& m);
Mat4 readMatrix4File(const std::string& path);
void writeMatrix4File(const std::string& path, const Mat4& m);

}  // namespace inst3d
