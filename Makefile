# Two commands on a fresh machine:  `make demo` (the main job) and `make test` (the whole test suite).
# Both create .venv and build the embedded Neo4j on first use, and reuse them afterwards.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
NEO4J_JAR := neo4j-embedded/target/vivier-neo4j-embedded-1.0.0.jar
PACKAGES  := ontology graph gnn audit api loaders simulator vivier

.PHONY: demo test test-fast contract lint setup db-stop clean

demo: setup
	$(BIN)/vivier demo

test: setup
	$(BIN)/python -m pytest

# The quick lane while working: every test but the `slow` ones (tests/conftest.py marks those using a fixture that
# trains a model, loads or parses the whole ontology, or builds the text analyzer; the others are measured). About a
# minute on this 2-core machine, a third of it the embedded Neo4j starting; run `make test` before pushing.
test-fast: setup
	$(BIN)/python -m pytest -m "not slow"

# The API's OpenAPI contract with a larger schemathesis budget than the suite's (docs/api.md, Contract).
CONTRACT_EXAMPLES ?= 200
contract: setup
	VIVIER_CONTRACT_EXAMPLES=$(CONTRACT_EXAMPLES) $(BIN)/python -m pytest tests/api/test_contract.py

lint: setup
	$(BIN)/ruff check $(PACKAGES) tests bench
	$(BIN)/ruff format --check $(PACKAGES) tests bench
	$(BIN)/mypy $(PACKAGES) tests bench
	$(BIN)/lint-imports  # the layering of docs/architecture.md ([tool.importlinter] in pyproject.toml)

setup: $(VENV)/.installed $(NEO4J_JAR)

# Reinstalled only when the dependencies change (torch alone is a few GB: a second run must not fetch it again).
$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

# Neo4j 5.26 + APOC + OpenGDS from Maven Central, built once (skipped when NEO4J_URI points elsewhere).
$(NEO4J_JAR): neo4j-embedded/pom.xml $(wildcard neo4j-embedded/src/main/java/fr/vivier/db/*.java) neo4j-embedded/src/main/resources/neo4j.properties
	@if [ -z "$$NEO4J_URI" ]; then \
	  command -v java >/dev/null && command -v mvn >/dev/null || { \
	    echo "The embedded Neo4j needs JDK 17 and Maven (apt-get install openjdk-17-jdk-headless maven)," \
	         "or run Neo4j with Docker (docker compose up -d neo4j) and set NEO4J_URI."; exit 1; }; \
	  cd neo4j-embedded && mvn -q -B package; \
	fi

db-stop:
	-$(BIN)/vivier db stop

clean: db-stop
	rm -rf $(VENV) neo4j-embedded/target var
