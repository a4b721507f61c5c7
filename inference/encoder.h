#pragma once
// Encoder: a loaded model of the data directory's registry (models) seen from the one
// question every input path asks — "turn this text or this image into a vector" — whatever the
// model's kind. The server's routes, the raw-image route and the ingest tool all encode through
// this interface; only inference/model_kinds.cc knows which kinds exist.
//
// Kinds (manifest "kind"):
//   "word2vec"     a word model (words): text → the mean of its tokens' unit vectors
//   "cnn"          image → the classifier's last hidden layer, L2-normalized
//   "vae"          image → the posterior mean μ(x), with anomaly scores; also decodes latents
//   "gan"          image → the latent code z whose G(z) reproduces it (inversion), with the
//                  residual pixel error; also decodes latents
//   "torchscript"  image → an imported module's output
//
// Thread safety: every method is const and safe to call from many threads at once.

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "encoders/image_model.h"
#include "images/image.h"

namespace latentdb::words {
class WordModel;
}

namespace latentdb::inference {

// What a model takes as input.
enum class InputKind { kText, kImage };

// One encoded input: the vector (dim() floats) and, for a generative image model, the image's
// anomaly scores (see encoders::AnomalyScores; what a collection stores from them is decided in
// one place, AddAnomalyScores in point_encoding.h).
struct Encoding {
  std::vector<float> vector;
  std::optional<encoders::AnomalyScores> scores;
  // GAN: the inversion's residual, the mean squared pixel error of G(z) (pixels in [0,1]).
  std::optional<double> inversion_error;
};

class Encoder {
 public:
  virtual ~Encoder() = default;

  virtual const std::string& name() const = 0;
  virtual const std::string& kind() const = 0;  // the manifest's "kind"
  virtual size_t dim() const = 0;
  virtual InputKind input() const = 0;

  // Text models: one result per text, in order. InvalidArgument for a text none of whose tokens
  // has a vector ("no word of the text is known to encoder 'NAME'"), or that does not tokenize.
  // Image models: every result is InvalidArgument (the model encodes images).
  virtual std::vector<Result<Encoding>> EncodeTexts(const std::vector<std::string>& texts) const = 0;

  // Image models: one Encoding per image, in order (images are fitted to the model's input
  // first, see encoders::ImageModel::Fit). With `with_scores`, a VAE's Encodings carry anomaly scores (one more
  // decoder pass) and a GAN's the inversion's residual; other models never have scores. Any failure fails the whole batch (the model
  // ran or it did not). Text models: InvalidArgument.
  virtual Result<std::vector<Encoding>> EncodeImages(const std::vector<images::Image>& images,
                                                     bool with_scores) const = 0;

  // The image model behind an image encoder (its input spec, decoding of latents); null for a
  // text encoder.
  virtual std::shared_ptr<encoders::ImageModel> image_model() const { return nullptr; }
  // The word model behind a text encoder; null for an image encoder.
  virtual std::shared_ptr<words::WordModel> word_model() const { return nullptr; }
};

}  // namespace latentdb::inference
