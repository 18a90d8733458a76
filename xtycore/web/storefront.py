from flask import Blueprint

bp = Blueprint("storefront", __name__)


@bp.route("/")
def home():
    return "xtycore"
