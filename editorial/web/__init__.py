"""The pages people use: desks per role, the review workspace, the auditor console, the inbox."""
