.PHONY: run stack test lint bench
run:  ## run the system on SQLite with demo data
	bin/run

stack:  ## web + worker + beat on PostgreSQL and Redis
	bin/stack

test:  ## the whole test suite (PostgreSQL, then SQLite)
	bin/test

lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check .

bench:
	.venv/bin/python bench/audit_chain.py
	.venv/bin/python bench/reanchor.py
	.venv/bin/python bench/publishing.py
	.venv/bin/python bench/public_page.py
