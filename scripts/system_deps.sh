#!/usr/bin/env bash
# Debian packages that the offline datasets use: espeak-ng and sox (spoken
# words), dataset-fashion-mnist (Fashion-MNIST), pocketsphinx-testdata (LibriVox
# recordings for the Whisper encoder's known answer), opencv-doc (photos behind
# digits_on_photos and faces_on_photos). Installed only when missing and
# when we may (root with apt-get); otherwise the tests that need them skip and
# say why (with CI=true they fail: keras_transfer.testing.require).
set -u
need=()
command -v espeak-ng >/dev/null 2>&1 || need+=(espeak-ng)
command -v sox >/dev/null 2>&1 || need+=(sox)
[ -d /usr/share/datasets/fashion-mnist ] || need+=(dataset-fashion-mnist)
[ -d /usr/share/pocketsphinx/test/data/librivox ] || need+=(pocketsphinx-testdata)
[ -d /usr/share/doc/opencv-doc/examples/data ] || need+=(opencv-doc)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian packages: ${need[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" >/dev/null 2>&1 \
    || { apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" >/dev/null 2>&1; } \
    || echo "could not install ${need[*]}: tests that need them will skip (fail with CI=true)"
else
  echo "optional Debian packages missing: ${need[*]} (sudo apt-get install ${need[*]})"
fi
