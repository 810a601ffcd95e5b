#!/usr/bin/env bash
# System tools the tests use beyond pip: bubblewrap (the autograder's sandbox), Chromium and
# ChromeDriver (the real-browser tests), Node packages from package.json (JupyterHub's proxy).
# Installs what is missing where it can (apt as root; npm in ./node_modules) and otherwise
# says what is missing; the tests that need a missing tool skip with that reason, except under
# RNN_CURSO_STRICT=1 (CI), where they fail.
set -uo pipefail
cd "$(dirname "$0")/.."
APT_PACKAGES=(bubblewrap chromium chromium-driver)
declare -A PROVIDES=([bubblewrap]=bwrap [chromium]=chromium [chromium-driver]=chromedriver)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  command -v "${PROVIDES[$pkg]}" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "instalando pacotes do sistema: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 \
      || { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; } \
      || echo "aviso: não foi possível instalar ${missing[*]}; os testes que dependem deles serão pulados"
  else
    echo "aviso: faltam ${missing[*]} (instale com o gerenciador de pacotes do sistema);" \
         "os testes que dependem deles serão pulados"
  fi
fi

if [ -f package.json ]; then
  if command -v npm >/dev/null 2>&1; then
    npm ci --no-audit --no-fund --loglevel=error >/dev/null \
      || echo "aviso: npm ci falhou; os testes que dependem de node_modules serão pulados"
  else
    echo "aviso: npm não encontrado; os testes que dependem de node_modules serão pulados"
  fi
fi
exit 0
