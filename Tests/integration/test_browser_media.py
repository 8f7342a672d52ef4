"""The demo page as run-local.sh serves it: opened at http://app.localhost:PORT (Chromium sends
*.localhost to this machine), it gets the CDN cookies for .app.localhost from
POST /api/auth/cdn-cookies, and shows avatars at fixed URLs through nginx's media route, which
checks those cookies, as they are and at two configured sizes (nginx's image filter). Logging
out clears them, and the media route then refuses the image.
"""
import pathlib

import pytest
import requests

from harness import browser as harness_browser
from harness.browser import wait_until
from harness.stack import migrate, stack_env

ARTIFACTS = pathlib.Path(__file__).parent / "artifacts"

if harness_browser.missing():
    pytest.skip(harness_browser.missing(), allow_module_level=True)

from selenium.webdriver.common.by import By  # noqa: E402

from harness.demo_page import JWT_SECRET, PURPOSES, choose_file, finished, png, token  # noqa: E402


@pytest.fixture(scope="module")
def localhost_stack(postgres, ministack, module_stack, tmp_path_factory):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    key = tmp_path_factory.mktemp("browser-media") / "cloudfront.pem"
    key.write_bytes(ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    env = stack_env(
        postgres, ministack, PURPOSES, JWT_SECRET,
        PRESIGND_CDN_DOMAIN="cdn.app.localhost", PRESIGND_CDN_PATH_PATTERN="/avatars/*", PRESIGND_CDN_COOKIE_DOMAIN=".app.localhost",
        PRESIGND_CLOUDFRONT_KEY_PAIR_ID="KLOCALEC256", PRESIGND_CLOUDFRONT_PRIVATE_KEY_FILE=str(key), PGCONNECT_TIMEOUT="2",
        PRESIGND_MEDIA_PRESETS="thumb=64x64:crop,small=256x256",
    )
    migrate(env)
    _, proxy = module_stack("browser-media-stack", env, extra_server_lines=harness_browser.STATIC_LOCATION)
    origin = f"http://app.localhost:{proxy.port}"
    harness_browser.bucket_setup(env, origin)
    return origin


def test_demo_shows_avatars_through_the_media_route(localhost_stack, tmp_path):
    origin = localhost_stack
    driver = harness_browser.chromium()
    try:
        driver.get(f"{origin}/app/demo/index.html?media=/media&sizes=thumb,small#token={token('alice')}")
        wait_until(lambda: driver.find_element(By.ID, "documents-state").get_attribute("data-loaded"), message="the list")
        cookies = wait_until(lambda: {c["name"]: c for c in driver.get_cookies() if c["name"].startswith("CloudFront-")} or None,
                             message="the CDN cookies")
        assert set(cookies) == {"CloudFront-Policy", "CloudFront-Signature", "CloudFront-Key-Pair-Id"}
        assert all(c["domain"] == ".app.localhost" and c["httpOnly"] for c in cookies.values()), cookies
        session = [c for c in driver.get_cookies() if c["name"] == "Presignd-Media"]
        assert len(session) == 1 and session[0]["domain"] == ".app.localhost" and session[0]["httpOnly"], session

        path = tmp_path / "face.png"
        path.write_bytes(png(640, 480))
        row = choose_file(driver, path, purpose="avatar")
        assert finished(row) == "done"
        img = wait_until(lambda: (driver.find_elements(By.CSS_SELECTOR, "img[data-testid=thumb]") or [None])[0], message="the avatar")
        assert "/media/avatars/alice/" in img.get_attribute("src"), "a fixed URL, not a presigned one"
        assert "X-Amz-Signature" not in img.get_attribute("src")
        wait_until(lambda: driver.execute_script("return arguments[0].complete && arguments[0].naturalWidth", img) == 640,
                   message="the avatar to decode")
        # The same avatar at two configured sizes, as the browser decoded them.
        for size, (width, height) in {"thumb": (64, 64), "small": (256, 192)}.items():
            sized = wait_until(lambda: (driver.find_elements(By.CSS_SELECTOR, f"img[data-testid=avatar-{size}]") or [None])[0],
                               message=f"the {size} avatar")
            assert sized.get_attribute("src").endswith(f"?size={size}")
            wait_until(lambda: driver.execute_script("return arguments[0].complete && [arguments[0].naturalWidth, arguments[0].naturalHeight]",
                                                     sized) == [width, height], message=f"the {size} avatar to decode at {width}x{height}")
        ARTIFACTS.mkdir(exist_ok=True)
        assert driver.save_screenshot(str(ARTIFACTS / "browser-media-sizes.png"))

        # The same URL without the cookies (another client): refused by the media route.
        media_url = img.get_attribute("src")
        assert requests.get(media_url.replace("app.localhost", "127.0.0.1"), timeout=10).status_code == 403
        # Logging out clears the cookies in the browser: the next load of the image is refused.
        status = driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "fetch('/api/auth/logout', {method: 'POST', headers: {authorization: 'Bearer ' + arguments[0]}}).then(r => done(r.status))",
            token("alice"))
        assert status == 200
        assert not [c for c in driver.get_cookies() if c["name"].startswith("CloudFront-")], "logout cleared the cookies"
        refused = driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "fetch(arguments[0], {cache: 'no-store'}).then(r => done(r.status))", media_url)
        assert refused == 403
    finally:
        driver.quit()
