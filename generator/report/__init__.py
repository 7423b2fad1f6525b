"""The report stage: what commands print. `commands` renders command reports through their
templates (text, Markdown, JSON); `validation` formats the validation report (text, JSON and the CI
formats); `ci` holds the CI formats themselves (GitHub annotations, GitLab Code Quality, SARIF)."""
