"""Blueprint "git": clone, fetch and push the content over HTTP (`git http-backend`).

Reading (clone, fetch, pull) is for users who may read every page: git cannot
hide paths inside a repository. Pushing also needs the right to write; every
pushed commit is then checked by the repository's pre-receive hook against the
pusher's rights (wiki/git/pushcheck.py). A push holds the same lock as web saves,
and the search index and caches have caught up before the client hears back.
"""

from __future__ import annotations

from flask import Blueprint
from flask import Response
from flask import current_app
from flask import request
from flask import stream_with_context

from ..access.auth import access
from ..access.auth import who
from ..git import hooks
from ..git import http as githttp
from ..git.pushcheck import RULES_ENV
from ..git.pushcheck import PushRules
from . import get_wiki

bp = Blueprint("git", __name__, url_prefix="/-/git")
REPOSITORY = "content.git"
CALLS = ("info/refs", "git-upload-pack", "git-receive-pack")
PASSED_HEADERS = ("Content-Encoding", "Git-Protocol", "Accept")


def _text(status: int, message: str, **headers: str) -> Response:
    # git shows a text/plain error body to the user as "remote: ..."
    return Response(message.rstrip() + "\n", status=status, mimetype="text/plain", headers=headers)


def _challenge(message: str) -> Response:
    return _text(401, message, **{"WWW-Authenticate": 'Basic realm="wiki", charset="UTF-8"'})


@bp.route(f"/{REPOSITORY}/<path:call>", methods=["GET", "POST"])
def smart_http(call: str):
    if call not in CALLS:
        return _text(404, "Only git's smart HTTP protocol is served here.")
    service = request.args.get("service", "") if call == "info/refs" else call
    if service not in githttp.SERVICES:
        return _text(403, "Use a current git client (smart HTTP).")
    if (call == "info/refs") != (request.method == "GET"):
        return _text(405, "This address does not accept that kind of request.")
    pushing = service == "git-receive-pack"
    person, snapshot = who(), access()
    if not snapshot.reads_everything(person):
        if not person.registered:
            return _challenge("Log in with your user name and a personal token (or password).")
        return _text(
            403,
            "Your account may not read every space of the wiki, and git cannot "
            "leave the others out, so it cannot clone or fetch the whole "
            "repository. Ask an administrator, or use the web pages.",
        )
    if pushing and not person.registered:
        return _challenge("Log in to push: your user name and a personal token (or password).")
    if pushing and not snapshot.may_write(person):
        return _text(403, "Your account may read but not write anywhere in the wiki.")
    if pushing and not hooks.installed(get_wiki().storage.git_dir):
        # the hook checks every pushed commit: without it no push is taken
        return _text(
            503,
            "This wiki is not set up to receive pushes yet: an administrator "
            "runs `wiki init` (or `wiki serve`) once.",
        )
    if request.method == "POST" and request.mimetype != f"application/x-{service}-request":
        return _text(415, f"Expected a {service} request.")
    config = current_app.config
    try:
        body = githttp.spool(
            request.environ["wsgi.input"], request.content_length, config["GIT_MAX_PUSH_BYTES"]
        )
    except githttp.PushTooLarge:
        return _text(413, f"This push is larger than {config['GIT_MAX_PUSH_BYTES'] >> 20} MiB.")
    wiki = get_wiki()
    rules = PushRules(
        who=person,
        access=snapshot,
        max_page_bytes=config["MAX_PAGE_BYTES"],
        max_file_bytes=config["MAX_FILE_BYTES"],
        max_unpacked_bytes=config["GIT_MAX_UNPACKED_BYTES"],
        other_branches=config["GIT_OTHER_BRANCHES"],
    )
    run = dict(
        method=request.method,
        service_path=call,
        query=request.query_string.decode("latin-1"),
        body=body,
        content_type=request.content_type or "",
        headers={h: request.headers[h] for h in PASSED_HEADERS if h in request.headers},
        remote_user=person.username,
        remote_addr=request.remote_addr or "",
        extra_env={RULES_ENV: rules.to_env()},
    )
    if not (pushing and request.method == "POST"):
        answer = githttp.run_backend(wiki.storage.git_dir, **run)
        return Response(
            stream_with_context(answer.body),
            status=answer.status,
            headers=answer.headers,
            direct_passthrough=True,
        )
    # a push: under the lock web saves take, and caught up before git hears back
    with wiki.storage.write_lock():
        before = wiki.storage.head()
        answer = githttp.run_backend(wiki.storage.git_dir, **run)
        data = b"".join(answer.body)
        after = wiki.storage.head()
        if after is not None and after != before:
            # git authors are whatever the pusher wrote: history names the account too
            wiki.storage.attribute(before, after, person.username, "push")
    wiki.after_external_change()
    return Response(data, status=answer.status, headers=answer.headers)
