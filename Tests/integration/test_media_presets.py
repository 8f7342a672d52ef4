"""Issue 23 §2: image sizes from configured presets, made by nginx's own image filter (Debian's
libnginx-mod-http-image-filter) behind the media route, against ministack through a counting
proxy. Real images made and decoded with Pillow: each preset's answer has the preset's
dimensions in the original's format, the second request for it is served from nginx's cache (no
request reaches the store), and only configured sizes exist. presignd checks an image before
the filter decodes it: a decompression bomb (a 100-megapixel PNG of 120 kB), an image over the
byte limit and a file that is no image are refused with JSON 413/415, never passed through.
"""
import io
import os
import struct
import zlib

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from PIL import Image

from harness.common import API, JWT_SECRET, cdn_cookies, upload_ready
from harness.common import make_token as token
from harness.stack import migrate, stack_env

CDN = "cdn.app.test"
MAX_BYTES = 200_000
PURPOSES = {"avatar": {"prefix": "avatars", "maxSize": 1 << 20, "allowedType": "image/"},
            "document": {"prefix": "documents", "maxSize": 1 << 20}}


@pytest.fixture(scope="module")
def media(postgres, ministack, proxy, module_stack, tmp_path_factory):
    key = tmp_path_factory.mktemp("presets-keys") / "cf.pem"
    key.write_bytes(ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    env = stack_env(postgres, ministack, PURPOSES, JWT_SECRET, AWS_ENDPOINT_URL_S3=proxy.url,
                    PRESIGND_CDN_DOMAIN=CDN, PRESIGND_CDN_PATH_PATTERN="/*", PRESIGND_CDN_COOKIE_DOMAIN=".app.test",
                    PRESIGND_CLOUDFRONT_KEY_PAIR_ID="KPRESETS", PRESIGND_CLOUDFRONT_PRIVATE_KEY_FILE=str(key),
                    PRESIGND_MEDIA_PRESETS="thumb=64x64:crop, small=256x256,wide=300x100:crop",
                    PRESIGND_MEDIA_IMAGE_MAX_BYTES=str(MAX_BYTES), PRESIGND_MEDIA_IMAGE_MAX_PIXELS="16000000")
    migrate(env)
    _, nginx = module_stack("presets-stack", env, workers=2, threads=4)
    return nginx.url, cdn_cookies(nginx.url, token("alice"))


def upload(base, data, name, content_type, purpose="avatar"):
    return upload_ready(API(base), name=name, data=data, purpose=purpose, content_type=content_type)["key"]


def image(fmt, size=(640, 480)):
    picture = Image.new("RGB", size)
    for x in range(0, size[0], 8):
        for y in range(0, size[1], 8):
            picture.putpixel((x, y), (x % 256, y % 256, (x + y) % 256))
    out = io.BytesIO()
    picture.save(out, format=fmt)
    return out.getvalue()


def bomb_png(width=10_000, height=10_000):
    """A real decompression bomb: a valid grayscale PNG whose 100 MB of pixels compress to
    about 100 kB."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    compressor = zlib.compressobj(9)
    row = b"\x00" * (width + 1)
    data = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", data) + chunk(b"IEND", b""))


def get(media, key, size=None):
    base, cookie = media
    query = "" if size is None else f"?size={size}"
    return requests.get(f"{base}/media/{key}{query}", headers={"Cookie": cookie}, timeout=30)


@pytest.mark.parametrize("fmt,content_type", [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("GIF", "image/gif"),
                                              ("WEBP", "image/webp")])
def test_each_preset_has_its_dimensions_and_is_made_once(media, proxy, fmt, content_type):
    key = upload(media[0], image(fmt), f"photo.{fmt.lower()}", content_type)
    for size, expected in [("thumb", (64, 64)), ("small", (256, 192)), ("wide", (300, 100))]:
        first = get(media, key, size)
        assert first.status_code == 200, (size, first.status_code, first.text[:200])
        assert first.headers["Content-Type"] == content_type
        decoded = Image.open(io.BytesIO(first.content))
        assert decoded.format == fmt and decoded.size == expected, (size, decoded.format, decoded.size)
        assert first.headers["X-Presignd-Cache"] == "MISS"
        assert not any(name.lower().startswith("x-amz") for name in first.headers)
        fetched = len(proxy.seen("GET", key))
        again = get(media, key, size)
        assert again.status_code == 200 and again.content == first.content
        assert again.headers["X-Presignd-Cache"] == "HIT", "a size is made once, then served from nginx's cache"
        assert len(proxy.seen("GET", key)) == fetched, "the repeat reached neither the store nor the filter"
    original = get(media, key)
    assert original.status_code == 200 and Image.open(io.BytesIO(original.content)).size == (640, 480)


def test_only_configured_sizes_exist(media):
    key = upload(media[0], image("PNG"), "a.png", "image/png")
    for size in ["huge", "64x64", "THUMB", "", "thumb%00"]:
        r = get(media, key, size)
        assert r.status_code == 404, (size, r.status_code)
        assert r.json()["error"]["code"] == "not_found"
    assert "the sizes are small, thumb, wide" in get(media, key, "huge").json()["error"]["message"]


def test_bombs_oversized_images_and_non_images_are_refused_not_passed_through(media, proxy):
    bomb = bomb_png()
    assert len(bomb) < 150_000
    cases = {
        "bomb": (upload(media[0], bomb, "bomb.png", "image/png"), 413, "image_too_large", "10000 x 10000 pixels"),
        "over the byte limit": (upload(media[0], noise_png(), "big.png", "image/png"), 413, "image_too_large",
                                f"at most {MAX_BYTES} bytes"),
        "a PDF": (upload(media[0], b"%PDF-1.7\n" + b"0" * 1000, "doc.pdf", "application/pdf", "document"), 415, "not_an_image",
                  "not a PNG, JPEG, GIF or WebP image"),
        "a PNG that is damaged after its header": (upload(media[0], image("PNG")[:200] + b"\x00" * 3000, "broken.png", "image/png"),
                                                   415, "not_an_image", "nginx"),
    }
    for name, (key, status, code, words) in cases.items():
        for attempt in range(2):
            r = get(media, key, "thumb")
            assert r.status_code == status, (name, attempt, r.status_code, r.headers.get("Content-Type"), r.content[:200])
            assert r.headers["Content-Type"] == "application/json", name
            assert r.json()["error"]["code"] == code and words in r.json()["error"]["message"], (name, r.json())
            assert r.headers["Cache-Control"] == "no-store", name
            assert not any(n.lower() in ("etag", "last-modified") or n.lower().startswith("x-amz") for n in r.headers), name
    # The bomb was never fetched whole: presignd read its header (a ranged GET) and refused it.
    whole = [r for r in proxy.seen("GET", cases["bomb"][0]) if r[3] is None]
    assert whole == [], "nginx never fetched the bomb to decode it"
    # The originals are still served as they are.
    assert get(media, cases["bomb"][0]).status_code == 200


def noise_png():
    """A PNG over MAX_BYTES: noise does not compress."""
    picture = Image.frombytes("RGB", (300, 300), os.urandom(300 * 300 * 3))
    out = io.BytesIO()
    picture.save(out, format="PNG")
    assert len(out.getvalue()) > MAX_BYTES
    return out.getvalue()
