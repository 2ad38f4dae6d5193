# Mastodon.py (Debian's python3-mastodon) against a Doorman, one step per run, with its default
# settings (version_check_mode="created"). Prints one JSON object. Run with /usr/bin/python3.
#   register BASE                          create_app, then auth_request_url
#   login BASE CLIENT_ID SECRET CODE       log_in(code=...), app and account verify_credentials,
#                                          auth_request_url(force_login=True)
#   revoke BASE CLIENT_ID SECRET TOKEN     revoke_access_token, then the token is refused
import json
import sys

from mastodon import Mastodon, MastodonUnauthorizedError

step, base = sys.argv[1], sys.argv[2]


def out(value):
    print(json.dumps(value))


if step == "register":
    client_id, client_secret = Mastodon.create_app("Mastodon.py at Doorman", api_base_url=base)
    m = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=base)
    out({"client_id": client_id, "client_secret": client_secret, "url": m.auth_request_url(), "version": m.retrieve_mastodon_version()})
elif step == "login":
    client_id, client_secret, code = sys.argv[3:6]
    m = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=base)
    token = m.log_in(code=code)
    app = m.app_verify_credentials()
    account = m.account_verify_credentials()
    out({
        "token": token,
        "app_name": app["name"],
        "account": {k: (v if isinstance(v, (str, int, bool, type(None), list)) else str(v)) for k, v in account.items() if k != "source"},
        "source_privacy": account["source"]["privacy"],
        "forced_url": m.auth_request_url(force_login=True),
    })
elif step == "revoke":
    client_id, client_secret, token = sys.argv[3:6]
    m = Mastodon(client_id=client_id, client_secret=client_secret, access_token=token, api_base_url=base)
    m.revoke_access_token()
    try:
        Mastodon(access_token=token, api_base_url=base).account_verify_credentials()
        refused = False
    except MastodonUnauthorizedError:
        refused = True
    out({"refused_after_revoke": refused})
else:
    sys.exit(f"unknown step {step}")
