"""The public pages are served by `editorial.web.reader`: they show review records (`reviewers`) and take readers'
reports through an `editorial` service, and `articles` depends on neither. Nothing is routed here."""

urlpatterns: list = []
