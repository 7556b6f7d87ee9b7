"""The server's name for the image check it shares with the bundle format: competition
logos (in bundles, on the server and in the client) and avatars go through the one
`podium_bundle.images.check_image`."""

from podium_bundle.images import ImageFacts, ImageLimits, ImageRefused, check_image

__all__ = ["ImageFacts", "ImageLimits", "ImageRefused", "check_image"]
