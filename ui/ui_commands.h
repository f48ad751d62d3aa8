// The `view` verb: the Qt viewer, a PNG screenshot (--screenshot), or a text summary without a display.
#pragma once

namespace inst3d {

class CommandRegistry;
void registerUiCommands(CommandRegistry& registry);

}  // namespace inst3d
