#include "encoders/torchscript_import.h"

#include <exception>

#include "common/file_util.h"
#include "encoders/model_impl.h"
#include "encoders/torch_runtime.h"
#include "models/model_registry.h"

namespace latentdb::encoders {

Result<nlohmann::json> ImportTorchScript(const std::string& data_dir, const std::string& path, const std::string& name,
                                         const InputSpec& input) {
  LDB_ASSIGN_OR_RETURN(InputSpec spec, InputSpecFromJson(InputSpecToJson(input)));  // validates
  LDB_RETURN_IF_ERROR(RequireRegularFile(path));  // /dev/zero or a FIFO would never end
  if (models::ReadManifest(data_dir, name).ok()) return Status::AlreadyExists("model '" + name + "' already exists");
  int64_t dim = 0;
  try {
    torch::jit::Module m = torch::jit::load(path, torch::kCPU);
    m.eval();
    torch::InferenceMode guard;
    auto out = m.forward({torch::zeros({1, spec.channels, spec.height, spec.width})});
    if (!out.isTensor()) return Status::InvalidArgument(path + ": the module's forward does not return a tensor");
    dim = out.toTensor().numel();
  } catch (const std::exception& e) {
    const std::string msg = TorchMessage(e);
    return Status::InvalidArgument(path + " is not a TorchScript module taking a 1x" + std::to_string(spec.channels) + "x" +
                                   std::to_string(spec.height) + "x" + std::to_string(spec.width) + " input: " + msg);
  }
  if (dim < 1 || dim > 65536) return Status::InvalidArgument(path + ": output of " + std::to_string(dim) + " values per image");
  LDB_ASSIGN_OR_RETURN(std::string bytes, ReadWholeFile(path));
  std::string dir = models::ModelDir(data_dir, name);
  LDB_RETURN_IF_ERROR(CreateDirectories(dir));
  Status s = WriteFileAtomically(dir + "/weights.pt", bytes);
  nlohmann::json manifest = {{"name", name},      {"kind", "torchscript"},         {"dim", dim},
                             {"model_file", "weights.pt"}, {"input", InputSpecToJson(spec)}, {"source", path},
                             {"created", models::NowIso8601()}};
  if (s.ok()) s = models::WriteManifest(data_dir, name, manifest);
  if (!s.ok()) {
    (void)models::RemoveModelDir(data_dir, name);
    return s;
  }
  return manifest;
}

}  // namespace latentdb::encoders
