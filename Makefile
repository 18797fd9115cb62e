.PHONY: run test lint bench

run:  ## run the system on SQLite with demo data
	bin/run

test:  ## the whole test suite (PostgreSQL, then SQLite)
	bin/test

lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check .

bench:
	.venv/bin/python bench/audit_chain.py
