// The neural layer's verbs, one file each (registered in model_commands.cpp).
#pragma once
#include <string>
#include <vector>

namespace inst3d {

int runWeights(const std::vector<std::string>& argv);   // weights_command.cpp
int runTokenize(const std::vector<std::string>& argv);  // tokenize_command.cpp
int runBench(const std::vector<std::string>& argv);     // bench_llm.cpp: bench [machine|llm|extract|encoders]
int runChat(const std::vector<std::string>& argv);      // chat_command.cpp

}  // namespace inst3d
