"""Signs a user in to our OpenID Connect provider with Authlib's requests client, as a Python app
would: discovery, an authorization URL with PKCE (S256) and a nonce, then, once the caller has
taken the browser's part, the code exchanged for tokens, the ID token verified against the
provider's JWKS, and userinfo. Run by test/e2e/authlib-provider.test.ts:

    python3 authlib_provider.py <issuer> <client_id> <redirect_uri> [client_secret]

It prints the authorization URL on one line, reads the URL the browser was sent back to on stdin,
and prints one JSON line of what it saw (or of the error it raised).
"""
import json
import sys

import requests
from authlib.common.security import generate_token
from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from authlib.jose import JsonWebKey, jwt


def main(issuer, client_id, redirect_uri, client_secret=None):
    metadata = requests.get(issuer + "/.well-known/openid-configuration", timeout=10).json()
    session = OAuth2Session(
        client_id,
        client_secret,
        scope="openid email",
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        # A public client proves itself with PKCE only (RFC 7636); a confidential one with HTTP Basic.
        token_endpoint_auth_method="client_secret_basic" if client_secret else "none",
    )
    verifier = generate_token(48)
    nonce = generate_token(20)
    url, state = session.create_authorization_url(metadata["authorization_endpoint"], code_verifier=verifier, nonce=nonce)
    print(url, flush=True)
    callback = sys.stdin.readline().strip()
    try:
        token = session.fetch_token(
            metadata["token_endpoint"], authorization_response=callback, state=state, code_verifier=verifier
        )
    except OAuthError as error:  # the token endpoint's RFC 6749 §5.2 error, as Authlib raises it
        return {"raised": type(error).__name__, "error": error.error}
    keys = JsonWebKey.import_key_set(requests.get(metadata["jwks_uri"], timeout=10).json())
    claims = jwt.decode(
        token["id_token"],
        keys,
        claims_options={
            "iss": {"essential": True, "value": issuer},
            "aud": {"essential": True, "value": client_id},
            "nonce": {"essential": True, "value": nonce},
        },
    )
    claims.validate()
    info = session.get(metadata["userinfo_endpoint"], timeout=10).json()
    return {
        "token_type": token["token_type"],
        "sub": claims["sub"],
        "aud": claims["aud"],
        "iss": claims["iss"],
        "nonce": claims["nonce"],
        "id_token_email": claims.get("email"),
        "userinfo_sub": info.get("sub"),
        "userinfo_email": info.get("email"),
    }


if __name__ == "__main__":
    print(json.dumps(main(*sys.argv[1:5])), flush=True)
