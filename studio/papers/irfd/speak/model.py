"""SPEAK stage 2's networks (Sec. 3.2): the audio encoder, the editing module, the generator G_g
and the conditional multi-scale discriminator. IRFD's encoders (stage 1) stay frozen.

- Audio encoder: a temporal conv over each frame's log-mel window (16 × 80) → 128-D, standing
  in for wav2vec 2.0 (pretrained speech models cannot be downloaded here) — or JEAN's audio
  encoder (`audio_encoder="jean"`), pretrained on SynthTalk to match lip codes, its conv
  stack frozen and its head fine-tuned as FaceFormer treats wav2vec 2.0 (the issue asks to
  measure both).
- Editing module: fully connected blocks on the audio feature; after each one, noise and AdaIN
  with scale and bias from the reference frame's facial codes (emotion + pose), as the paper
  builds it. Its output edits the emotion code: f'_S = f_E + Δ(f_a, f_E, f_P), because "the
  emotion representations encompass a portion of the mouth movement" — the mouth is the part
  of the emotion code that audio should move (our reading; the paper gives no sizes).
- G_g: G_d's architecture (mapping MLP + modulated decoder) fed the identity and pose codes and
  the edited latent; it starts from G_d's weights (a deviation: on a CPU it cannot relearn to
  draw faces from scratch), and the editing module's last layer starts at zero, so step 0
  draws exactly IRFD's reconstruction.
- D(x, y): x the identity frame, y a real or generated frame, at 128² and 64² (pix2pixHD's
  multi-scale form), patch logits.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

from studio.papers.irfd.model import Generator, Irfd, IrfdConfig
from studio.papers.jean.model import AudioEncoder as JeanAudioEncoder
from studio.papers.jean.model import Jean, JeanConfig
from studio.speech.features import N_MELS, WINDOW_FRAMES

NAME = "speak"
AUDIO_ENCODERS = ("logmel", "jean")
# where the editing module's emotion + pose codes come from: the pose and emotion sources
# (SPEAK), or the identity frame alone — Table 4's "w/o IRFD", read as a talker whose one
# image code cannot be split into identity, pose and emotion sources
REFERENCES = ("sources", "identity_frame")


@dataclass
class SpeakConfig:
    audio_dim: int = 128
    edit_width: int = 256
    edit_blocks: int = 3
    noise: float = 0.05  # std of the noise added in each editing block while training
    disc_widths: tuple[int, ...] = (32, 64, 128, 128)
    disc_scales: int = 2
    audio_encoder: str = "logmel"  # one of AUDIO_ENCODERS
    reference: str = "sources"  # one of REFERENCES

    def __post_init__(self) -> None:
        if self.audio_encoder not in AUDIO_ENCODERS:
            raise ValueError(f"audio_encoder must be one of {AUDIO_ENCODERS}")
        if self.reference not in REFERENCES:
            raise ValueError(f"reference must be one of {REFERENCES}")

    @property
    def audio_width(self) -> int:
        """The width of the audio feature the editing module reads."""
        return JeanConfig().code if self.audio_encoder == "jean" else self.audio_dim

    def to_dict(self) -> dict:
        return asdict(self)


class AudioEncoder(nn.Module):
    """(B, 16, 80) log-mel window around a frame → (B, audio_dim)."""

    def __init__(self, dim: int):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv1d(N_MELS, 128, 3, padding=1), nn.LeakyReLU(0.2),
            nn.Conv1d(128, 128, 3, stride=2, padding=1), nn.LeakyReLU(0.2),  # 16 → 8
            nn.Conv1d(128, 128, 3, stride=2, padding=1), nn.LeakyReLU(0.2),  # 8 → 4
        )  # fmt: skip
        self.head = nn.Linear(128 * WINDOW_FRAMES // 4, dim)

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        # log-mel sits around −5 … 2; centred so the first layer starts in its linear range
        x = self.net((mel.float() + 4.0).transpose(1, 2) / 4.0)
        return self.head(x.flatten(1))


class AdaIN(nn.Module):
    """Normalise a feature vector, then scale and shift it from the facial codes."""

    def __init__(self, width: int, code_dim: int):
        super().__init__()
        self.affine = nn.Linear(code_dim, 2 * width)
        nn.init.zeros_(self.affine.weight)
        nn.init.zeros_(self.affine.bias)

    def forward(self, h: torch.Tensor, codes: torch.Tensor) -> torch.Tensor:
        gamma, beta = self.affine(codes).chunk(2, -1)
        return F.layer_norm(h, h.shape[-1:]) * (1 + gamma) + beta


class EditingModule(nn.Module):
    """f_a, facial codes (f_E, f_P) → the edited latent f'_S = f_E + Δ."""

    def __init__(self, config: SpeakConfig, emotion_dim: int, pose_dim: int):
        super().__init__()
        w = config.edit_width
        self.noise = config.noise
        self.inp = nn.Linear(config.audio_width, w)
        self.blocks = nn.ModuleList(nn.Linear(w, w) for _ in range(config.edit_blocks))
        self.adain = nn.ModuleList(
            AdaIN(w, emotion_dim + pose_dim) for _ in range(config.edit_blocks)
        )
        self.out = nn.Linear(w, emotion_dim)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, audio: torch.Tensor, emotion: torch.Tensor, pose: torch.Tensor):
        codes = torch.cat([emotion, pose], -1)
        h = F.leaky_relu(self.inp(audio), 0.2)
        for fc, adain in zip(self.blocks, self.adain, strict=True):
            h = F.leaky_relu(fc(h), 0.2)
            if self.training and self.noise > 0:
                h = h + self.noise * torch.randn_like(h)
            h = adain(h, codes)
        return emotion + self.out(h)


class PatchDiscriminator(nn.Module):
    """(B, 6, S, S) identity frame ‖ frame → (B, 1, S/16, S/16) logits."""

    def __init__(self, widths: tuple[int, ...]):
        super().__init__()
        layers: list[nn.Module] = []
        c = 6
        for w in widths:
            layers += [nn.Conv2d(c, w, 4, stride=2, padding=1), nn.LeakyReLU(0.2)]
            c = w
        layers.append(nn.Conv2d(c, 1, 3, padding=1))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class Discriminator(nn.Module):
    """D(x, y) at `scales` resolutions (each half the last): a list of patch logits."""

    def __init__(self, config: SpeakConfig):
        super().__init__()
        self.heads = nn.ModuleList(
            PatchDiscriminator(config.disc_widths) for _ in range(config.disc_scales)
        )

    def forward(self, identity_frame: torch.Tensor, frame: torch.Tensor) -> list[torch.Tensor]:
        x = torch.cat([identity_frame, frame], 1) * 2 - 1
        out = []
        for k, head in enumerate(self.heads):
            out.append(head(x if k == 0 else F.avg_pool2d(x, 2**k)))
        return out


class Talker(nn.Module):
    """What SPEAK ships: audio encoder, editing module and G_g."""

    def __init__(self, irfd_config: IrfdConfig, config: SpeakConfig):
        super().__init__()
        self.config = config
        if config.audio_encoder == "jean":
            self.audio: nn.Module = JeanAudioEncoder(JeanConfig())
        else:
            self.audio = AudioEncoder(config.audio_dim)
        self.editing = EditingModule(config, irfd_config.emotion_dim, irfd_config.pose_dim)
        self.generator = Generator(irfd_config)

    def forward(self, mel, identity, emotion, pose) -> torch.Tensor:
        """mel (B, 16, 80), the identity frame's identity code, the reference's emotion and
        pose codes → (B, 3, S, S) frames in [0, 1]."""
        edited = self.editing(self.audio(mel), emotion, pose)
        return self.generator(identity, edited, pose)


class Speak(nn.Module):
    """What stage 2 trains: the talker (G's phase) and the discriminator (D's phase)."""

    def __init__(self, irfd_config: IrfdConfig, config: SpeakConfig | None = None):
        super().__init__()
        self.config = c = config or SpeakConfig()
        self.irfd_config = irfd_config
        self.talker = Talker(irfd_config, c)
        self.disc = Discriminator(c)

    def start_from(self, irfd: Irfd) -> None:
        """G_g ← G_d (see the module docstring)."""
        self.talker.generator.load_state_dict(irfd.generator.state_dict())

    def start_audio_from(self, jean: Jean) -> None:
        """The JEAN audio encoder's weights; its normalisation and conv stack stay frozen (the
        part FaceFormer freezes in wav2vec 2.0), its head is fine-tuned with the talker."""
        audio = self.talker.audio
        if not isinstance(audio, JeanAudioEncoder):
            raise ValueError("start_audio_from needs audio_encoder='jean'")
        audio.load_state_dict(jean.audio.state_dict())
        audio.norm.requires_grad_(False)
        audio.conv.requires_grad_(False)
