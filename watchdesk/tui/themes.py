"""The desk's three themes: dark (default), light, and high contrast for a dim night room."""

from __future__ import annotations

from textual.theme import Theme

DARK = Theme(
    name="watchdesk-dark",
    primary="#4f9dde",
    secondary="#7aa6c2",
    accent="#f0b429",
    warning="#f0b429",
    error="#e5484d",
    success="#46a758",
    foreground="#dde3ea",
    background="#11161c",
    surface="#1a2129",
    panel="#24303b",
    dark=True,
)
LIGHT = Theme(
    name="watchdesk-light",
    primary="#1f5f99",
    secondary="#3d6e8f",
    accent="#a35c00",
    warning="#a35c00",
    error="#b3261e",
    success="#2e7d32",
    foreground="#1b1f24",
    background="#f7f8fa",
    surface="#eceff3",
    panel="#dfe4ea",
    dark=False,
)
HIGH_CONTRAST = Theme(
    name="watchdesk-high-contrast",
    primary="#ffff00",
    secondary="#00ffff",
    accent="#ffff00",
    warning="#ffff00",
    error="#ff4040",
    success="#00ff00",
    foreground="#ffffff",
    background="#000000",
    surface="#000000",
    panel="#202020",
    dark=True,
    luminosity_spread=0.3,
    text_alpha=1.0,
)
THEMES = {"dark": DARK, "light": LIGHT, "high-contrast": HIGH_CONTRAST}
