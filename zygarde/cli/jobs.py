"""Job commands: submit, jobs, leaderboard, model, cancel, demo."""
