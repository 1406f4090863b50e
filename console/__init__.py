"""The application: CLI entry point, App, wiring. Decides; does little itself."""
