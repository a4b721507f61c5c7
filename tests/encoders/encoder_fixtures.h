#pragma once
// Small models trained once per test process on a slice of Fashion-MNIST, in a temporary data
// directory (training takes a few seconds, so the cases of one binary share them).

#include <catch2/catch.hpp>

#include <memory>
#include <string>

#include "encoders/fashion_mnist.h"
#include "encoders/image_model.h"
#include "encoders/trainer.h"
#include "tests/support/temp_dir.h"

namespace latentdb::testing {

struct TrainedModels {
  TempDir dir;
  encoders::ImageDataset train, test;
  nlohmann::json cnn_manifest, vae_manifest;
  std::shared_ptr<encoders::ImageModel> cnn, vae;
};

inline const TrainedModels& SmallModels() {
  static TrainedModels* m = [] {
    auto* t = new TrainedModels;
    auto train = encoders::LoadFashionMnist(true, 3000);
    auto test = encoders::LoadFashionMnist(false, 1000);
    REQUIRE(train.ok());
    REQUIRE(test.ok());
    t->train = std::move(*train);
    t->test = std::move(*test);
    encoders::TrainImageOptions o;
    o.kind = "cnn";
    o.name = "cnn";
    o.dim = 32;
    o.epochs = 2;
    o.threads = 1;  // ctest runs two test processes at once on two cores
    auto cnn = encoders::TrainImageModel(t->dir.path(), o, t->train, t->test);
    REQUIRE(cnn.ok());
    t->cnn_manifest = *cnn;
    o.kind = "vae";
    o.name = "vae";
    o.latent = 8;
    o.epochs = 3;
    auto vae = encoders::TrainImageModel(t->dir.path(), o, t->train, t->test);
    REQUIRE(vae.ok());
    t->vae_manifest = *vae;
    auto c = encoders::ImageModel::Open(t->dir.path(), "cnn");
    auto v = encoders::ImageModel::Open(t->dir.path(), "vae");
    REQUIRE(c.ok());
    REQUIRE(v.ok());
    t->cnn = *c;
    t->vae = *v;
    return t;
  }();
  return *m;
}

}  // namespace latentdb::testing
