#include "app/cli.hpp"

int main(int argc, char** argv) { return flopbench::cli_main(argc, argv); }
