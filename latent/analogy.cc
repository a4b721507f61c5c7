#include "latent/analogy.h"

namespace latentdb::latent {

Result<std::vector<float>> AnalogySum(engine::Collection& c, const engine::AnalogyQuery& query) {
  std::vector<float> sum(c.config().dim, 0.0f);
  auto add = [&](const engine::AnalogyTerm& t, float sign) -> Status {
    std::vector<float> v;
    if (t.vector) {
      v = *t.vector;
    } else if (t.id) {
      LDB_ASSIGN_OR_RETURN(v, c.VectorOf(*t.id));
    } else {
      return Status::InvalidArgument("an analogy term has neither an id nor a vector");
    }
    if (v.size() != sum.size()) return Status::InvalidArgument("an analogy term has the wrong dimension");
    for (size_t i = 0; i < sum.size(); ++i) sum[i] += sign * v[i];
    return Status::Ok();
  };
  for (const auto& t : query.positive) LDB_RETURN_IF_ERROR(add(t, 1.0f));
  for (const auto& t : query.negative) LDB_RETURN_IF_ERROR(add(t, -1.0f));
  return sum;
}

}  // namespace latentdb::latent
