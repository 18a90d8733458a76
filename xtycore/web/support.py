"""The support channels' inbound route: ``POST /support/<instance_id>/inbound``.

CSRF-exempt like the payment webhooks: a channel cannot send a token, its
signature (checked by the channel's ``parse_inbound``) is the proof. The
handler is thin over :func:`xtycore.services.support.receive`, which answers
404 for an unknown or disabled instance, 400 for a push the channel refuses
(and stores nothing), 503 when the channel plugin fails, and 200 with how
many messages were stored and how many were known already.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request

from xtycore.domain.webhooks import WebhookRequest
from xtycore.extensions import csrf
from xtycore.services import support

bp = Blueprint("support", __name__)
csrf.exempt(bp)


@bp.post("/support/<int:instance_id>/inbound")
def inbound(instance_id: int) -> Response:
    request.max_content_length = current_app.config["SUPPORT_INBOUND_MAX_BYTES"]
    body = request.get_data(cache=True)
    form = request.form.to_dict() if request.mimetype == "application/x-www-form-urlencoded" else {}
    reply = support.receive(
        instance_id,
        WebhookRequest(body=body, headers=dict(request.headers), query=request.args.to_dict(), form=form),
    )
    response = Response(reply.body, status=reply.status, content_type=reply.content_type)
    response.headers["Cache-Control"] = "no-store"
    return response
