"""Logs in to /token with requests-oauthlib, the OAuth2 password-grant client many Python scripts
use, and prints one JSON line of what the client saw. Run by test/e2e/oauth-client.test.ts:

    python3 oauth_client.py <base URL> <username> <password>
"""
import json
import sys

from oauthlib.oauth2 import LegacyApplicationClient, OAuth2Error
from requests_oauthlib import OAuth2Session


def main(base, username, password):
    session = OAuth2Session(client=LegacyApplicationClient(client_id="script"))
    try:
        token = session.fetch_token(token_url=base + "/token", username=username, password=password)
    except OAuth2Error as error:
        return {
            "raised": type(error).__name__,
            "error": error.error,
            "description": error.description,
            "message": str(error),
        }
    # The session now sends the token as a bearer header, as a script would.
    me = session.get(base + "/users/me")
    return {"token_type": token["token_type"], "expires_in": token["expires_in"], "me": me.json()["email"]}


if __name__ == "__main__":
    print(json.dumps(main(*sys.argv[1:4])))
