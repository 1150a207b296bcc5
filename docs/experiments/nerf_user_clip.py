"""Held-out frames of a user-clip fit: the composite a user sees against the clip's own crop.

    python -m studio.nerf fit CLIP.mp4 --steps 1500 --out runs/nerf-clips/NAME
    PYTHONPATH=. python docs/experiments/nerf_user_clip.py runs/nerf-clips/NAME CLIP.mp4

Prints PSNR over the whole 256² crop and inside the face mask (and what the plate alone gives
there), and writes truth | composite | plate of the middle held-out frame to
/tmp/clip_fit_view.png."""

import sys

import cv2
import numpy as np

from studio.eval.images import psnr
from studio.papers.nerf.clip import read_clip
from studio.papers.nerf.preset import load_preset
from studio.papers.nerf.render import NerfRenderer, Quality, View, load_fitted

folder, video = sys.argv[1], sys.argv[2]
preset = load_preset(f"{folder}/preset")
fitted = load_fitted(directory=folder)
r = NerfRenderer(fitted)
x0, y0, x1, y1 = preset.manifest["config"]["crop_box"]
s = 256 / (x1 - x0)
affine = np.array([[s, 0, -x0 * s], [0, s, -y0 * s]], np.float32)
frames = read_clip(video).frames
full, face, plate_only = [], [], []
for t in preset.held_out_index:
    truth = cv2.warpAffine(
        frames[t], affine, (256, 256), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE
    )
    out = r.frame(int(t), View(pose6=fitted.pose6[t]), Quality.FULL)
    m = preset["masks"][t] > 127
    full.append(psnr(out / 255.0, truth / 255.0, data_range=1.0))
    face.append(psnr(out[m] / 255.0, truth[m] / 255.0, data_range=1.0))
    plate_only.append(psnr(fitted.plate(int(t))[m] / 255.0, truth[m] / 255.0, data_range=1.0))
    if t == preset.held_out_index[len(preset.held_out_index) // 2]:
        side = np.concatenate([truth, out, fitted.plate(int(t))], 1)
        cv2.imwrite("/tmp/clip_fit_view.png", side[:, :, ::-1])
print(
    f"held-out frames {len(full)}: composite PSNR {np.mean(full):.2f} dB full frame, "
    f"{np.mean(face):.2f} dB inside the face mask "
    f"(the plate alone there: {np.mean(plate_only):.2f})"
)
