# The local development issuer: an RSA key pair in .local/ and real RS256 tokens signed with it.
# Source it after scripts/postgres.sh; it defines functions only. The service trusts the public half
# (Auth__Local__SigningKeyFile); outside Production only.

ensure_openssl() {
  command -v openssl >/dev/null 2>&1 && return 0
  log "openssl not found; installing Debian's openssl package"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq \
    && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssl >/dev/null \
    || die "could not install openssl (needs root or passwordless sudo): apt-get install openssl"
}

b64url() { openssl base64 -e -A | tr '+/' '-_' | tr -d '='; }

# dev_signing_key DIR: creates DIR/signing-key.pem (private, 0600) once, and DIR/signing-key.pub.pem.
dev_signing_key() {
  local dir=$1
  ensure_openssl
  if [ ! -s "$dir/signing-key.pem" ]; then
    (umask 077; openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$dir/signing-key.pem" 2>/dev/null) \
      || die "could not create the local signing key"
  fi
  openssl pkey -in "$dir/signing-key.pem" -pubout -out "$dir/signing-key.pub.pem" 2>/dev/null \
    || die "could not read the local signing key $dir/signing-key.pem"
}

# dev_token DIR SUBJECT ROLE [HOURS]: prints an RS256 token of the local issuer for SUBJECT with ROLE.
dev_token() {
  local dir=$1 subject=$2 role=$3 hours=${4:-12}
  local now exp header payload signature
  now=$(date +%s); exp=$((now + hours * 3600))
  header=$(printf '{"alg":"RS256","typ":"JWT","kid":"local"}' | b64url)
  payload=$(printf '{"iss":"scheduler-local","aud":"scheduler-service","tid":"local","sub":"%s","name":"%s","roles":["%s"],"iat":%s,"nbf":%s,"exp":%s}' \
    "$subject" "$subject" "$role" "$now" "$((now - 60))" "$exp" | b64url)
  signature=$(printf '%s.%s' "$header" "$payload" | openssl dgst -sha256 -sign "$dir/signing-key.pem" -binary | b64url)
  printf '%s.%s.%s\n' "$header" "$payload" "$signature"
}
