// latentdb train word2vec|cnn|vae|gan: dispatches to the trainer of each kind of model.
#include <cstring>

#include "tools/args.h"
#include "tools/command_registry.h"
#include "tools/commands.h"

namespace latentdb::tools {

namespace {

constexpr const char* kTrainKinds =
    "usage: latentdb train word2vec|cnn|vae|gan …   (latentdb train KIND --help for the options of each)\n";

int TrainCommand(int argc, char** argv) {
  // `train --help`; `train KIND --help` is the kind's own usage.
  if (argc < 3 || argv[2][0] == '-') ExitOnHelp(argc, argv, 2, kTrainKinds);
  if (argc >= 3 && std::strcmp(argv[2], "word2vec") == 0) return TrainWord2VecCommand(argc, argv);
  if (argc >= 3 && (std::strcmp(argv[2], "cnn") == 0 || std::strcmp(argv[2], "vae") == 0 || std::strcmp(argv[2], "gan") == 0)) return TrainImageCommand(argc, argv);
  return Fail(Status::InvalidArgument("train needs a model kind: word2vec, cnn, vae or gan"), kTrainKinds);
}

}  // namespace

static const CommandRegistrar kTrain("train", "train a model: word2vec (fastText), cnn, vae or gan (LibTorch)", &TrainCommand);

}  // namespace latentdb::tools
