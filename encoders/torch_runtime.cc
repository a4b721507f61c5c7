#include "encoders/torch_runtime.h"

#include <torch/torch.h>

#include <mutex>
#include <thread>

namespace latentdb::encoders {

void ConfigureTorchThreads(int threads) {
  if (threads > 0) {
    torch::set_num_threads(threads);
    return;
  }
  static std::once_flag once;
  std::call_once(once, [] { torch::set_num_threads(static_cast<int>(std::max(1u, std::thread::hardware_concurrency()))); });
}

std::string TorchMessage(const std::exception& e) {
  std::string msg = e.what();
  if (auto nl = msg.find('\n'); nl != std::string::npos) msg.resize(nl);
  return msg;
}

}  // namespace latentdb::encoders
