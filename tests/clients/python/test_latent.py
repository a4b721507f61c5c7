"""The Python client's images and latent-space routes against a real `latentdb serve` holding a
tiny VAE trained for the test (`latentdb train vae` on 1,024 Fashion-MNIST images, a few
seconds) and a tiny class-conditional GAN: image upserts (bytes, files, PIL images, numpy arrays), image search and encoding,
decode (PNG bytes, PIL images, numpy pixels), interpolate, sample, reconstruct, anomalies, the
map, directions and edits, and the PNG reader used when Pillow is absent."""

import gzip
import io
import os
import unittest

import numpy as np

import ldb_server as S

from PIL import Image

from latentdb import Client, DecodedImage, LatentDBError, filters as F
from latentdb.media import decode_png, encode_png

FASHION = "/usr/share/datasets/fashion-mnist"  # Debian's dataset-fashion-mnist


def fashion_images(n):
    with gzip.open(os.path.join(FASHION, "t10k-images-idx3-ubyte.gz"), "rb") as f:
        data = f.read()
    with gzip.open(os.path.join(FASHION, "t10k-labels-idx1-ubyte.gz"), "rb") as f:
        labels = f.read()
    images = np.frombuffer(data, np.uint8, n * 784, 16).reshape(n, 28, 28)
    return images, list(np.frombuffer(labels, np.uint8, n, 8))


def setUpModule():
    global DIR, SERVER, DB, IMAGES, LABELS
    DIR = S.TempDir()
    data = DIR.sub("data")
    try:
        S.run_latentdb("train", "vae", "--data", "fashion-mnist", "--name", "vae", "--latent", "8", "--class-embedding", "0",
                       "--epochs", "1",
                       "--limit", "1024", "--max-batches", "16", "--threads", "1", "--data-dir", data)
        # A class-conditional GAN (8 noise + 4 class-embedding floats): the routes need one, not a good one.
        S.run_latentdb("train", "gan", "--data", "fashion-mnist", "--name", "cgan", "--latent", "8",
                       "--class-embedding", "4", "--widths", "8,8", "--epochs", "1", "--limit", "1024",
                       "--max-batches", "4", "--threads", "1", "--data-dir", data)
        SERVER = S.Server(data).start()
    except BaseException:
        DIR.cleanup()
        raise
    DB = Client(SERVER.url)
    IMAGES, LABELS = fashion_images(60)
    DB.create_collection("fv", metric="l2", index="Flat", encoder="vae")
    r = DB.upsert_images("fv", list(IMAGES[:50]), payloads=[{"label": int(l)} for l in LABELS[:50]], batch_size=16)
    assert r == {"upserted": 50, "errors": []}, r


def tearDownModule():
    SERVER.stop()
    DIR.cleanup()


def png_of(pixels):
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="PNG")
    return buf.getvalue()


class ImageInputs(unittest.TestCase):
    def test_every_input_form_stores_the_same_vector(self):
        pixels = IMAGES[55]
        path = os.path.join(DIR.path, "shoe.png")
        with open(path, "wb") as f:
            f.write(png_of(pixels))
        jpeg = io.BytesIO()
        Image.fromarray(pixels).save(jpeg, format="JPEG", quality=95)
        forms = {"bytes": png_of(pixels), "path": path, "pil": Image.fromarray(pixels), "numpy": pixels,
                 "numpy3d": pixels[:, :, None]}
        for i, (name, image) in enumerate(forms.items()):
            r = DB.upsert_image("fv", "form-" + name, image, payload={"form": name})
            self.assertEqual(r["id"], "form-" + name)
            self.assertIn("neg_elbo", r["scores"])  # a VAE scores every image it stores
        vectors = [DB.get("fv", "form-" + name).vector for name in forms]
        for v in vectors[1:]:
            np.testing.assert_array_equal(v, vectors[0])
        self.assertEqual(DB.get("fv", "form-pil").payload["form"], "pil")
        self.assertIn("neg_elbo", DB.get("fv", "form-pil").payload)
        # The encoder's answer is the stored vector (the VAE's posterior mean).
        np.testing.assert_allclose(DB.encode_image("vae", pixels), vectors[0], atol=1e-6)
        # A string id of digits and the JPEG path through the raw route.
        DB.upsert_image("fv", "1990", jpeg.getvalue())
        self.assertEqual(DB.retrieve("fv", ["1990"])[0].id, "1990")
        DB.delete("fv", ids=["form-" + n for n in forms] + ["1990"])

    def test_search_by_image(self):
        hits = DB.search("fv", image=IMAGES[3], k=3, with_vector=True)
        self.assertEqual(hits[0].id, 3)
        self.assertAlmostEqual(hits[0].score, 0.0, places=4)
        same = DB.search("fv", hits[0].vector, k=3)
        self.assertEqual([h.id for h in same], [h.id for h in hits])

    def test_bad_images(self):
        with self.assertRaises(LatentDBError) as e:
            DB.upsert_image("fv", 999, b"not an image at all")
        self.assertEqual(e.exception.status, 415)
        r = DB.upsert_images("fv", [IMAGES[0], b"\x89PNG\r\n\x1a\ntruncated"], ids=[998, 999])
        self.assertEqual(r["upserted"], 1)
        self.assertEqual([(x["index"], x["id"], x["status"]) for x in r["errors"]], [(1, 999, 400)])
        DB.delete("fv", ids=[998])
        with self.assertRaises(TypeError):
            DB.upsert_image("fv", 1, 3.5)
        with self.assertRaises(ValueError):
            DB.upsert_image("fv", 1, np.zeros((4, 4), np.float32))


class Decoding(unittest.TestCase):
    def test_decode_point_as_bytes_pil_and_numpy(self):
        img = DB.decode_point("fv", 7)
        self.assertIsInstance(img, DecodedImage)
        self.assertTrue(img.png.startswith(b"\x89PNG"))
        self.assertEqual((img.width, img.height, img.channels), (28, 28, 1))
        pil = img.to_pil()
        self.assertEqual(pil.size, (28, 28))
        pixels = img.to_numpy()
        self.assertEqual((pixels.shape, pixels.dtype), ((28, 28), np.uint8))
        np.testing.assert_array_equal(decode_png(img.png), np.asarray(pil))  # the reader used without Pillow
        # The same latent decoded by the model: the same image.
        again = DB.decode("vae", DB.get("fv", 7).vector)
        self.assertEqual(again.png, img.png)
        self.assertEqual(DecodedImage.from_png(img.png).size, (28, 28))
        with self.assertRaises(LatentDBError) as e:
            DB.decode_point("fv", 12345)
        self.assertEqual(e.exception.status, 404)

    def test_interpolate_and_sample(self):
        steps = DB.interpolate("fv", 1, 2, steps=5, mode="slerp")
        self.assertEqual([s.t for s in steps], [0.0, 0.25, 0.5, 0.75, 1.0])
        np.testing.assert_allclose(steps[0].vector, DB.get("fv", 1).vector, atol=1e-5)
        self.assertEqual(steps[0].nearest.id, 1)
        self.assertEqual(steps[-1].nearest.id, 2)
        self.assertEqual(steps[2].image.to_numpy().shape, (28, 28))
        by_vector = DB.interpolate("fv", DB.get("fv", 1).vector, np.zeros(8), steps=2)
        self.assertEqual(len(by_vector), 2)
        a = DB.sample("fv", n=4, seed=3)
        b = DB.sample("fv", n=4, seed=3)
        self.assertEqual(a.seed, 3)
        for x, y in zip(a.samples, b.samples):
            np.testing.assert_array_equal(x.vector, y.vector)
            self.assertEqual(x.image.png, y.image.png)
        before = DB.count("fv")
        stored = DB.sample("fv", n=2, seed=4, store=True)
        self.assertEqual(stored.stored, 2)
        self.assertEqual(DB.count("fv"), before + 2)
        DB.delete("fv", ids=[s.id for s in stored.samples])
        with self.assertRaises(LatentDBError) as e:
            DB.sample("fv", n=1000)
        self.assertEqual(e.exception.status, 400)

    def test_class_conditional_sample(self):
        DB.create_collection("cg", metric="l2", index="Flat", encoder="cgan")
        mixed = DB.sample("cg", n=6, seed=2)
        for s in mixed.samples:
            self.assertEqual(s.vector.shape, (12,))
            self.assertIsInstance(s.label, int)
            self.assertIsInstance(s.class_name, str)
        boots = DB.sample("cg", n=3, seed=2, label="Ankle boot", store=True)
        self.assertEqual([s.label for s in boots.samples], [9, 9, 9])
        self.assertEqual(DB.get("cg", boots.samples[0].id).payload["class"], "Ankle boot")
        for x, y in zip(boots.samples, DB.sample("cg", n=3, seed=2, label=9).samples):
            np.testing.assert_array_equal(x.vector, y.vector)
        with self.assertRaises(LatentDBError) as e:
            DB.sample("cg", n=1, label="Unicorn", store=True)
        self.assertEqual(e.exception.status, 400)
        self.assertEqual(DB.count("cg"), 3)
        with self.assertRaises(LatentDBError) as e:
            DB.sample("fv", n=1, label=1)  # a VAE has no classes to sample
        self.assertEqual(e.exception.status, 400)
        self.assertIsNone(DB.sample("fv", n=1, seed=1).samples[0].label)

    def test_reconstruct_and_anomalies(self):
        r = DB.reconstruct("fv", IMAGES[5])
        self.assertEqual(r.vector.shape, (8,))
        self.assertEqual(r.image.size, (28, 28))
        self.assertGreater(r.neg_elbo, 0)
        self.assertAlmostEqual(r.neg_elbo, r.reconstruction_error + r.kl, delta=1e-3 * r.neg_elbo)
        stored = DB.get("fv", 5).payload
        self.assertAlmostEqual(r.neg_elbo, stored["neg_elbo"], delta=1e-3 * r.neg_elbo)
        top = DB.anomalies("fv", k=5)
        self.assertEqual(len(top), 5)
        scores = [a.neg_elbo for a in top]
        self.assertEqual(scores, sorted(scores, reverse=True))
        self.assertEqual(top[0].payload["neg_elbo"], top[0].neg_elbo)

    def test_analogy_decodes_the_latent(self):
        r = DB.analogy("fv", positive=[1, 2], negative=[3], k=3)
        self.assertEqual(len(r.hits), 3)
        self.assertEqual(r.vector.shape, (8,))
        self.assertEqual(r.image.size, (28, 28))


class MapAndDirections(unittest.TestCase):
    def test_map_projects_as_the_server(self):
        m = DB.map("fv", n=40, field="label")
        self.assertEqual(m.xy.shape, (40, 2))
        self.assertEqual(m.axes.shape, (2, 8))
        self.assertEqual(m.total, DB.count("fv"))
        labels = {r.id: r.payload["label"] for r in DB.retrieve("fv", m.ids)}
        self.assertEqual(m.labels, [labels[i] for i in m.ids])
        vectors = np.stack([r.vector for r in DB.retrieve("fv", m.ids, with_vector=True)])
        np.testing.assert_allclose(m.project(vectors), m.xy, atol=1e-3)

    def test_directions_and_edits(self):
        d = DB.create_direction("fv", "trouser_to_bag", "mean_difference", from_filter=F.must(F.match("label", 1)),
                                to_filter=F.must(F.match("label", 8)))
        self.assertFalse(d["replaced"])
        self.assertAlmostEqual(float(np.linalg.norm(d["vector"])), 1.0, places=5)
        pca = DB.create_direction("fv", "pc0", "pca", component=0, orthogonal_to=["trouser_to_bag"])
        self.assertAlmostEqual(float(pca["vector"] @ d["vector"]), 0.0, places=4)
        self.assertEqual(sorted(x["name"] for x in DB.list_directions("fv")), ["pc0", "trouser_to_bag"])
        got = DB.get_direction("fv", "trouser_to_bag")
        np.testing.assert_allclose(got["vector"], d["vector"])
        e = DB.edit("fv", 1, "trouser_to_bag", [0.0, 1.0, 2.0], k=2)
        self.assertEqual([s.strength for s in e.steps], [0.0, 1.0, 2.0])
        np.testing.assert_allclose(e.steps[2].vector, e.start + 2.0 * d["vector"], atol=1e-4)
        self.assertEqual(e.steps[0].neighbors[0].id, 1)
        self.assertEqual(e.steps[1].image.size, (28, 28))
        by_image = DB.edit("fv", direction="pc0", strengths=[1.0], image=IMAGES[1], with_images=False)
        self.assertIsNone(by_image.steps[0].image)
        # A direction given with its vector (here the stored one, scaled): stored at unit length.
        put = DB.put_direction("fv", "copied", dict(got, name="copied", vector=3.0 * got["vector"]))
        self.assertFalse(put["replaced"])
        np.testing.assert_allclose(put["vector"], got["vector"], atol=1e-6)
        np.testing.assert_allclose(DB.get_direction("fv", "copied")["vector"], got["vector"], atol=1e-6)
        with self.assertRaises(LatentDBError) as err:
            DB.put_direction("fv", "bad", {"method": "pca", "vector": [0.0] * len(got["vector"])})
        self.assertEqual(err.exception.status, 400)
        # The sample directions learn from: evenly spaced, in id order.
        sample, matched = DB.sample_points("fv", limit=3, filter=F.must(F.match("label", 1)), with_vector=True)
        self.assertEqual(matched, DB.count("fv", F.must(F.match("label", 1))))
        self.assertEqual(len(sample), min(3, matched))
        self.assertTrue(all(r.payload["label"] == 1 and r.vector is not None for r in sample))
        DB.delete_direction("fv", "pc0")
        DB.delete_direction("fv", "copied")
        with self.assertRaises(LatentDBError) as err:
            DB.get_direction("fv", "pc0")
        self.assertEqual(err.exception.status, 404)
        with self.assertRaises(ValueError):
            DB.edit("fv", 1, "pc0", [1.0], text="x")


class PngReader(unittest.TestCase):
    """decode_png (used when Pillow is absent) against Pillow's encoder, which picks a filter per
    row (sub, up, average, Paeth), and encode_png against Pillow's decoder."""

    def test_round_trips(self):
        rng = np.random.default_rng(0)
        smooth = (np.add.outer(np.arange(37), np.arange(41)) * 3 % 256).astype(np.uint8)
        for pixels in (IMAGES[0], smooth, rng.integers(0, 256, (23, 19, 3), dtype=np.uint8),
                       np.dstack([smooth, smooth[::-1], smooth[:, ::-1], np.full_like(smooth, 200)])):
            for optimize in (False, True):
                buf = io.BytesIO()
                Image.fromarray(pixels).save(buf, format="PNG", optimize=optimize)
                np.testing.assert_array_equal(decode_png(buf.getvalue()), pixels)
            ours = encode_png(pixels)
            np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(ours))), pixels)
            np.testing.assert_array_equal(decode_png(ours), pixels)


if __name__ == "__main__":
    unittest.main()
