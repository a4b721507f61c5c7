// directions_bench: do attribute directions work? Class-to-class directions (sneaker → ankle boot,
// shirt → coat, …) on Fashion-MNIST, for the VAE and the GAN, mean_difference against linear,
// scored by the project's CNN classifier (issue 12, "Directions work").
//
// For each model and pair (a → b):
//   training split  the latents the direction is learned from, labelled a or b;
//   validation      latents of class a, edited at each strength of a grid; the strength kept is
//                   the smallest whose flip rate is within 0.02 of the best on this split;
//   test            other latents of class a, edited at that one strength: the result.
// "Flip rate": the share of edited test latents whose decoded image the CNN classifies as b (beside
// the share of real class-b test images the CNN calls b, a ceiling for it).
// "Moved": the mean L2 distance between the CNN embeddings (L2-normalized, 0…2) of the decoded
// start and the decoded edit, beside the mean distance of a real class-a test image to a real
// class-b one (how far "becoming a b" is on that scale).
// Only latents whose own decoding the CNN classifies as a count as class a (for the VAE, test
// images of class a whose reconstruction still looks like an a), so a flip is a change the edit made.
//
// The splits:
//   VAE  training = μ(x) of Fashion-MNIST training images 0…49,999 with their true labels;
//        validation = training images 50,000…59,999; test = the test split (true class a).
//   GAN  a GAN has no encoder, so, as InterFaceGAN does (Shen et al., CVPR 2020), the training
//        latents are prior samples z ~ N(0, I) labelled by the CNN's class of G(z); validation and
//        test are prior samples of other seeds; and, as a second test, real test images of class a
//        put into the GAN's space by inversion (4 starts × 150 steps), the case of a user editing
//        a real image, with its strength chosen on inverted training images of class a (inverted
//        codes need not be distributed as prior samples are).
// Directions are computed by latent/directions.h's MeanDifference and LogisticBoundary (the math
// behind POST /collections/{c}/directions; the route adds only the reading of the sets).
//
// usage: directions_bench --data-dir DIR [--gan fashion-gan] [--vae fashion-vae] [--cnn fashion-cnn]
//                         [--pairs 7:9,6:4,2:4,0:3] [--gan-train 30000] [--gan-eval 10000] [--inversions 60]
// The models are those `make run` trains (scripts/demo.d). Run on an idle machine: the load
// average is printed at the start and the end.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "bench/bench_util.h"
#include "encoders/fashion_mnist.h"
#include "encoders/image_model.h"
#include "index/distance.h"
#include "latent/directions.h"
#include "latent/math.h"
#include "latent/prior.h"

using namespace latentdb;
using bench::Check;
using bench::Clock;
using bench::LoadAverage;
using bench::Seconds;
using Rows = std::vector<std::vector<float>>;

namespace {

// Strengths are tried as multiples of the distance between the two training sets' means,
// ‖mean(b) − mean(a)‖, the same grid for both methods: 1 moves a latent as far as the typical a is
// from the typical b, whatever the latent's scale.
const std::vector<double> kMultiples = {0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0};
constexpr double kFlipSlack = 0.02;
constexpr size_t kBatch = 512;

struct Pair {
  int from = 0, to = 0;
};

std::vector<Pair> ParsePairs(const std::string& text) {
  std::vector<Pair> pairs;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t comma = std::min(text.find(',', pos), text.size());
    const std::string item = text.substr(pos, comma - pos);
    const size_t colon = item.find(':');
    if (colon == std::string::npos) bench::Die("--pairs: '" + item + "' is not FROM:TO");
    pairs.push_back({std::stoi(item.substr(0, colon)), std::stoi(item.substr(colon + 1))});
    pos = comma + 1;
  }
  return pairs;
}

// What the CNN sees of decoded latents: class and embedding of each.
struct Seen {
  std::vector<int> classes;
  Rows embeddings;
};

Seen Look(const encoders::ImageModel& decoder, const encoders::ImageModel& cnn, const Rows& latents) {
  Seen seen;
  for (size_t b = 0; b < latents.size(); b += kBatch) {
    const Rows batch(latents.begin() + b, latents.begin() + std::min(latents.size(), b + kBatch));
    const auto images = Check(decoder.Decode(batch), "decoding");
    for (int c : Check(cnn.Classify(images), "classifying")) seen.classes.push_back(c);
    for (auto& e : Check(cnn.Encode(images), "embedding")) seen.embeddings.push_back(std::move(e));
  }
  return seen;
}

double Distance(const std::vector<float>& a, const std::vector<float>& b) {
  return std::sqrt(index::L2Sqr(a.data(), b.data(), a.size()));
}

// Class-a latents: those of `rows` labelled a whose decoding the CNN also calls a, with what the
// CNN sees of them (the reference the edit is measured against).
struct Starts {
  Rows latents;
  Seen seen;
};

Starts StartsOf(const encoders::ImageModel& decoder, const encoders::ImageModel& cnn, const Rows& rows,
                const std::vector<int>& labels, int a) {
  Rows candidates;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (labels[i] == a) candidates.push_back(rows[i]);
  }
  const Seen seen = Look(decoder, cnn, candidates);
  Starts s;
  for (size_t i = 0; i < candidates.size(); ++i) {
    if (seen.classes[i] != a) continue;
    s.latents.push_back(candidates[i]);
    s.seen.classes.push_back(a);
    s.seen.embeddings.push_back(seen.embeddings[i]);
  }
  return s;
}

struct EditScore {
  double flip = 0;   // share classified b after the edit
  double moved = 0;  // mean CNN-embedding distance from the decoded start
};

EditScore ScoreEdit(const encoders::ImageModel& decoder, const encoders::ImageModel& cnn, const Starts& starts,
                    const std::vector<double>& d, double strength, int b) {
  Rows edited = starts.latents;
  for (auto& z : edited) {
    for (size_t j = 0; j < z.size(); ++j) z[j] = static_cast<float>(z[j] + strength * d[j]);
  }
  const Seen seen = Look(decoder, cnn, edited);
  EditScore score;
  for (size_t i = 0; i < edited.size(); ++i) {
    score.flip += seen.classes[i] == b;
    score.moved += Distance(seen.embeddings[i], starts.seen.embeddings[i]);
  }
  const double n = std::max<size_t>(1, edited.size());
  score.flip /= n;
  score.moved /= n;
  return score;
}

double MeanDistance(const Rows& from, const Rows& to) {
  std::vector<double> diff(from[0].size(), 0.0);
  for (const auto& r : to) {
    for (size_t j = 0; j < r.size(); ++j) diff[j] += r[j] / static_cast<double>(to.size());
  }
  for (const auto& r : from) {
    for (size_t j = 0; j < r.size(); ++j) diff[j] -= r[j] / static_cast<double>(from.size());
  }
  double s = 0;
  for (double x : diff) s += x * x;
  return std::sqrt(s);
}

// The mean embedding distance of real class-a test images to real class-b ones (1,000 pairs).
double RealGap(const Rows& emb, const std::vector<int>& labels, int a, int b) {
  std::vector<size_t> ia, ib;
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] == a) ia.push_back(i);
    if (labels[i] == b) ib.push_back(i);
  }
  double s = 0;
  const size_t n = std::min<size_t>(1000, std::min(ia.size(), ib.size()));
  for (size_t i = 0; i < n; ++i) s += Distance(emb[ia[i]], emb[ib[(i * 7) % ib.size()]]);
  return s / std::max<size_t>(1, n);
}

// One model's evaluation data: labelled training latents, validation and test start sets per class.
struct ModelSplits {
  std::string model;
  Rows train;
  std::vector<int> train_labels;
  Rows validation;
  std::vector<int> validation_labels;
  // Test sets: a name ("test images", "prior samples", "inverted test images") and latents + labels;
  // a test set whose latents come from elsewhere (inversion) has its own validation set of the same
  // origin, on which its strength is chosen.
  struct Test {
    std::string name;
    Rows latents;
    std::vector<int> labels;
    Rows validation;
    std::vector<int> validation_labels;
  };
  std::vector<Test> tests;
};

// What the CNN makes of the real test images: their embeddings, true labels and predicted classes.
struct RealTest {
  Rows embeddings;
  std::vector<int> labels, predicted;

  // The share of real class-b test images the CNN calls b: a ceiling for a flip rate into b.
  double Recall(int b) const {
    size_t n = 0, hit = 0;
    for (size_t i = 0; i < labels.size(); ++i) {
      if (labels[i] != b) continue;
      ++n;
      hit += predicted[i] == b;
    }
    return n ? static_cast<double>(hit) / n : 0;
  }
};

// The strength kept on a validation set: the smallest multiple of `gap` whose flip rate is within
// kFlipSlack of the best, with the flip rate at every multiple ("0.25:0.12 0.5:0.40 …").
struct Choice {
  double strength = 0, multiple = 0;
  EditScore score;
  std::string curve;
};
Choice ChooseStrength(const encoders::ImageModel& decoder, const encoders::ImageModel& cnn, const Starts& validation,
                      const std::vector<double>& d, double gap, int b) {
  std::vector<EditScore> val;
  Choice c;
  for (double mult : kMultiples) {
    val.push_back(ScoreEdit(decoder, cnn, validation, d, mult * gap, b));
    char buf[32];
    std::snprintf(buf, sizeof buf, " %g:%.2f", mult, val.back().flip);
    c.curve += buf;
  }
  double best = 0;
  for (const auto& v : val) best = std::max(best, v.flip);
  size_t chosen = 0;
  while (val[chosen].flip < best - kFlipSlack) ++chosen;
  c.multiple = kMultiples[chosen];
  c.strength = c.multiple * gap;
  c.score = val[chosen];
  return c;
}

void Evaluate(const ModelSplits& m, const encoders::ImageModel& decoder, const encoders::ImageModel& cnn,
              const std::vector<Pair>& pairs, const std::vector<std::string>& names, const RealTest& real) {
  std::printf("\n%s\n", m.model.c_str());
  for (const Pair& p : pairs) {
    Rows from, to;
    for (size_t i = 0; i < m.train.size(); ++i) {
      if (m.train_labels[i] == p.from) from.push_back(m.train[i]);
      if (m.train_labels[i] == p.to) to.push_back(m.train[i]);
    }
    const Starts validation = StartsOf(decoder, cnn, m.validation, m.validation_labels, p.from);
    std::printf("  %s -> %s: learned on %zu + %zu latents; validation %zu; a real %s is %.3f from a real %s; "
                "the CNN recognizes %.3f of the real %s test images\n",
                names[p.from].c_str(), names[p.to].c_str(), from.size(), to.size(), validation.latents.size(),
                names[p.from].c_str(), RealGap(real.embeddings, real.labels, p.from, p.to), names[p.to].c_str(),
                real.Recall(p.to), names[p.to].c_str());
    if (from.size() < 2 || to.size() < 2 || validation.latents.empty()) {
      std::printf("    too few latents of these classes to learn or validate a direction\n");
      continue;
    }
    const double gap = MeanDistance(from, to);
    std::printf("    the training sets' means are %.3f apart; strengths below are multiples of that\n", gap);
    std::vector<Starts> tests, own_validation;
    for (const auto& t : m.tests) {
      tests.push_back(StartsOf(decoder, cnn, t.latents, t.labels, p.from));
      own_validation.push_back(StartsOf(decoder, cnn, t.validation, t.validation_labels, p.from));
    }

    for (const char* method : {"mean_difference", "linear"}) {
      const auto start = Clock::now();
      std::vector<double> d;
      std::string extra;
      if (std::string(method) == "linear") {
        auto boundary = Check(latent::LogisticBoundary(from, to), "learning the linear boundary");
        d = boundary.normal;
        char buf[80];
        std::snprintf(buf, sizeof buf, ", training accuracy %.3f", boundary.training_accuracy);
        extra = buf;
      } else {
        d = Check(latent::MeanDifference(from, to), "learning the mean difference");
      }
      const double learn_ms = 1000 * Seconds(start);
      const Choice main = ChooseStrength(decoder, cnn, validation, d, gap, p.to);
      std::printf("    %-15s learned in %.0f ms%s; validation flip by strength:%s\n", method, learn_ms, extra.c_str(),
                  main.curve.c_str());
      std::printf("    %-15s strength %.3f (%g x): validation flip %.3f, moved %.3f\n", "", main.strength,
                  main.multiple, main.score.flip, main.score.moved);
      for (size_t t = 0; t < tests.size(); ++t) {
        Choice choice = main;
        if (!own_validation[t].latents.empty()) {
          choice = ChooseStrength(decoder, cnn, own_validation[t], d, gap, p.to);
          std::printf("    %-15s strength %.3f (%g x) chosen on %zu validation latents like the next test's: flip %.3f;"
                      " by strength:%s\n", "", choice.strength, choice.multiple, own_validation[t].latents.size(),
                      choice.score.flip, choice.curve.c_str());
        }
        const EditScore s = ScoreEdit(decoder, cnn, tests[t], d, choice.strength, p.to);
        std::printf("    %-15s TEST %-22s n=%-5zu flip %.3f, moved %.3f\n", "", m.tests[t].name.c_str(),
                    tests[t].latents.size(), s.flip, s.moved);
      }
    }
  }
}

std::vector<int> Classes(const encoders::ImageModel& decoder, const encoders::ImageModel& cnn, const Rows& z) {
  return Look(decoder, cnn, z).classes;
}

}  // namespace

int main(int argc, char** argv) {
  bench::Dying().program = "directions_bench";
  std::map<std::string, std::string> opt = {{"data-dir", ""},         {"gan", "fashion-gan"},   {"vae", "fashion-vae"},
                                            {"cnn", "fashion-cnn"},   {"pairs", "7:9,6:4,2:4,0:3"},
                                            {"gan-train", "30000"},   {"gan-eval", "10000"},    {"inversions", "60"}};
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string key = argv[i];
    if (key.rfind("--", 0) != 0 || !opt.count(key.substr(2))) bench::Die("unknown option " + key);
    opt[key.substr(2)] = argv[i + 1];
  }
  if (opt["data-dir"].empty()) {
    bench::Die("usage: directions_bench --data-dir DIR [--gan NAME] [--vae NAME] [--cnn NAME] [--pairs A:B,...] "
               "[--gan-train N] [--gan-eval N] [--inversions N]");
  }
  std::printf("load average at start: %s\n", LoadAverage().c_str());
  const auto run_start = Clock::now();
  const auto pairs = ParsePairs(opt["pairs"]);
  const size_t gan_train = std::stoul(opt["gan-train"]), gan_eval = std::stoul(opt["gan-eval"]);
  const size_t inversions = std::stoul(opt["inversions"]);
  auto gan = Check(encoders::ImageModel::Open(opt["data-dir"], opt["gan"]), "opening the GAN");
  auto vae = Check(encoders::ImageModel::Open(opt["data-dir"], opt["vae"]), "opening the VAE");
  auto cnn = Check(encoders::ImageModel::Open(opt["data-dir"], opt["cnn"]), "opening the CNN");
  const auto train = Check(encoders::LoadFashionMnist(true), "reading the training split");
  const auto test = Check(encoders::LoadFashionMnist(false), "reading the test split");
  const auto& names = test.class_names;
  for (const Pair& p : pairs) {
    if (p.from < 0 || p.to < 0 || static_cast<size_t>(std::max(p.from, p.to)) >= names.size() || p.from == p.to) {
      bench::Die("--pairs: classes are 0.." + std::to_string(names.size() - 1) + " and differ");
    }
  }
  const auto test_images = test.Images();
  const RealTest real{Check(cnn->Encode(test_images), "embedding the test images"), test.labels,
                      Check(cnn->Classify(test_images), "classifying the test images")};

  // The VAE: encoder means with the true labels.
  {
    const size_t n_train = train.size() - 10000;
    const Rows train_mu = Check(vae->Encode(train.Images()), "encoding the training split");
    ModelSplits m;
    m.model = "VAE (" + opt["vae"] + ", " + std::to_string(vae->dim()) + "-d): training images 0.." +
              std::to_string(n_train - 1) + ", validation the other 10,000, test the test split";
    m.train.assign(train_mu.begin(), train_mu.begin() + n_train);
    m.train_labels.assign(train.labels.begin(), train.labels.begin() + n_train);
    m.validation.assign(train_mu.begin() + n_train, train_mu.end());
    m.validation_labels.assign(train.labels.begin() + n_train, train.labels.end());
    m.tests.push_back({"test images", Check(vae->Encode(test_images), "encoding the test split"), test.labels, {}, {}});
    Evaluate(m, *vae, *cnn, pairs, names, real);
  }

  // The GAN: prior samples labelled by the CNN (InterFaceGAN), and inverted real test images.
  {
    ModelSplits m;
    m.model = "GAN (" + opt["gan"] + ", " + std::to_string(gan->dim()) + "-d): " + std::to_string(gan_train) +
              " prior samples labelled by the CNN, validation and test " + std::to_string(gan_eval) +
              " samples of other seeds, and inverted test images";
    m.train = Check(latent::DrawPriorCodes(*gan, gan_train, 101), "drawing prior codes").codes;
    m.train_labels = Classes(*gan, *cnn, m.train);
    m.validation = Check(latent::DrawPriorCodes(*gan, gan_eval, 102), "drawing prior codes").codes;
    m.validation_labels = Classes(*gan, *cnn, m.validation);
    ModelSplits::Test samples{"prior samples", Check(latent::DrawPriorCodes(*gan, gan_eval, 103), "drawing prior codes").codes, {}, {}, {}};
    samples.labels = Classes(*gan, *cnn, samples.latents);
    m.tests.push_back(std::move(samples));
    // The first `inversions` test images of each source class, and as their validation set the
    // first `inversions` training images of that class (inverted the same way).
    ModelSplits::Test inverted{"inverted test images", {}, {}, {}, {}};
    std::set<int> sources;
    for (const Pair& p : pairs) sources.insert(p.from);
    auto invert_first = [&](const encoders::ImageDataset& split, Rows* latents, std::vector<int>* labels) {
      std::vector<images::Image> targets;
      for (int a : sources) {
        for (size_t i = 0, taken = 0; i < split.size() && taken < inversions; ++i) {
          if (split.labels[i] != a) continue;
          targets.push_back(split.ImageAt(i));
          labels->push_back(a);
          ++taken;
        }
      }
      const auto start = Clock::now();
      for (auto& inv : Check(gan->Invert(targets, encoders::InversionOptions{}, /*with_images=*/false), "inverting")) {
        latents->push_back(std::move(inv.latent));
      }
      return std::make_pair(targets.size(), Seconds(start));
    };
    const auto [n_test, test_seconds] = invert_first(test, &inverted.latents, &inverted.labels);
    const auto [n_val, val_seconds] = invert_first(train, &inverted.validation, &inverted.validation_labels);
    std::printf("\n(inverted %zu test images in %.0f s and %zu training images in %.0f s: %.2f inversions/s)\n", n_test,
                test_seconds, n_val, val_seconds, (n_test + n_val) / (test_seconds + val_seconds));
    m.tests.push_back(std::move(inverted));
    Evaluate(m, *gan, *cnn, pairs, names, real);
  }
  std::printf("\nrun time %.0f s\nload average at end: %s\n", Seconds(run_start), LoadAverage().c_str());
  return 0;
}
