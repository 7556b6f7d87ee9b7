from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest

from podium.datasets.signing import data_for_token


def download(request: HttpRequest, token: str) -> FileResponse:
    """Streams the file a signed token names (see podium.datasets.signing)."""
    data = data_for_token(token)
    if data is None:
        raise Http404("no such file, or the link has expired")
    stream = default_storage.open(str(data.file.name), "rb")
    return FileResponse(stream, as_attachment=True, filename=data.name)
