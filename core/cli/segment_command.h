// The `segment` verb: runs the built-in segmenter on a scene (or on every scene folder under a folder),
// optionally writes each result as a Mask3D-style export and evaluates it against the scene's ground
// truth (class-agnostic AP@25/AP@50, instance_eval.h).
#pragma once

namespace inst3d {

class CommandRegistry;

void registerSegmentCommand(CommandRegistry& registry);

}  // namespace inst3d
