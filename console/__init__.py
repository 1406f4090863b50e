"""The TUI application: App, screens, keymap, config, wiring. Decides; does little itself. Started by cli/."""

import os

# Set before Textual is imported (it reads them once); an agent's own settings win.
# Textual paints at most TEXTUAL_FPS frames a second (60), and after any frame the next waits 17-33 ms:
# a customer's message that arrived just after the cursor blinked or a countdown ticked waited that long to
# show (benchmarks/ui_scale.py). Painting is on demand, so a higher cap costs nothing while nothing changes.
# Animations are off: at this rate each would repaint the screen every millisecond, and agents page
# through transcripts by keyboard, where a jump is what they expect.
os.environ.setdefault("TEXTUAL_FPS", "1000")
os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")
