"""The pictures the simulator's customers send: a photo of a damaged parcel (JPEG) and an app screenshot (PNG).

Drawn with Pillow when first asked for, so they are real, decodable images of a realistic size (a few KiB) that
the console can open in a browser or preview, without shipping binary files in the package.
"""

from __future__ import annotations

import io
from functools import cache

from PIL import Image, ImageDraw

from backend.attachments import local_file
from backend.store import BackendStore


def damaged_parcel() -> Image.Image:
    image = Image.new("RGB", (480, 360), (214, 206, 190))  # a table top
    draw = ImageDraw.Draw(image)
    draw.polygon([(90, 110), (330, 80), (400, 150), (160, 190)], fill=(196, 150, 96))  # the box's lid
    draw.polygon([(90, 110), (160, 190), (160, 320), (90, 250)], fill=(160, 116, 70))  # left side
    draw.polygon([(160, 190), (400, 150), (400, 280), (160, 320)], fill=(178, 131, 80))  # front
    draw.line([(200, 185), (230, 230), (215, 260), (250, 300)], fill=(60, 40, 25), width=5)  # the split
    draw.polygon([(300, 170), (350, 160), (340, 210), (310, 205)], fill=(120, 84, 50))  # a crushed corner
    for x, y in ((250, 320), (268, 330), (290, 318), (310, 334)):  # shards of the vase on the table
        draw.polygon([(x, y), (x + 14, y - 6), (x + 8, y + 8)], fill=(235, 240, 245), outline=(120, 130, 140))
    draw.rectangle([(250, 200), (330, 230)], fill=(250, 250, 250))  # the shipping label
    draw.text((256, 208), "FRAGILE", fill=(200, 30, 30))
    return image


def refund_screen() -> Image.Image:
    image = Image.new("RGB", (270, 480), (245, 245, 245))
    draw = ImageDraw.Draw(image)
    draw.rectangle([(0, 0), (270, 20)], fill=(30, 30, 30))  # the phone's status bar
    draw.text((8, 5), "9:41", fill=(255, 255, 255))
    draw.rectangle([(0, 20), (270, 64)], fill=(255, 80, 0))  # the shop app's title bar
    draw.text((12, 36), "Order detail", fill=(255, 255, 255))
    for row in range(4):
        top = 80 + row * 56
        draw.rectangle([(10, top), (260, top + 46)], fill=(255, 255, 255), outline=(225, 225, 225))
        draw.rectangle([(18, top + 8), (48, top + 38)], fill=(200, 210, 220))
        draw.line([(58, top + 16), (200, top + 16)], fill=(120, 120, 120), width=3)
        draw.line([(58, top + 30), (150, top + 30)], fill=(190, 190, 190), width=3)
    draw.rounded_rectangle([(30, 330), (240, 400)], radius=10, fill=(255, 240, 240), outline=(220, 60, 60))
    draw.text((48, 350), "Refund failed (E1042)", fill=(200, 30, 30))
    draw.text((48, 372), "Please try again later", fill=(140, 60, 60))
    return image


# name -> (MIME type, drawing, Pillow format)
SIMULATED_FILES = {
    "damaged-parcel.jpg": ("image/jpeg", damaged_parcel, "JPEG"),
    "refund-error.png": ("image/png", refund_screen, "PNG"),
}


@cache
def file_bytes(name: str) -> bytes:
    kind, draw, image_format = SIMULATED_FILES[name]
    out = io.BytesIO()
    draw().save(out, format=image_format, **({"quality": 80} if image_format == "JPEG" else {"optimize": True}))
    return out.getvalue()


def stored_attachment(store: BackendStore, name: str) -> dict:
    """A new copy of the simulated file `name` for one message: each customer's photo has its own link, so one
    chat's link never opens another customer's file."""
    content = file_bytes(name)
    token, attachment = local_file(name, SIMULATED_FILES[name][0], content)
    store.add_file(token, name, attachment["type"], content)
    return attachment
