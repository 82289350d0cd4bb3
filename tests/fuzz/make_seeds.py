#!/usr/bin/python3
# Writes the fuzzers' seed corpora (checked in under tests/fuzz/corpus/) from what the unit tests
# already hold: the packet core's vector table, the example and test configurations, and sample
# control requests. Run it again when those change:
#
#   /usr/bin/python3 tests/common/gen_vectors.py /tmp/vectors.tsv
#   /usr/bin/python3 tests/fuzz/make_seeds.py /tmp/vectors.tsv
#
# Seeds it did not write (regressions, added by hand as regression-*) are left alone.
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
TOP = HERE.parent.parent
# fuzz_core's first input byte picks the table set, in test_tables.h's kTableNames order.
TABLE_SETS = ["default", "echo_allow", "global_off"]

CTL_REQUESTS = [
    '{"command":"status"}',
    '{"command":"drain","group":"default"}',
    '{"command":"undrain","group":"all"}',
    '{"command":"check","group":"dns"}',
    '{"command":"reload"}',
    '{"command":"restart"}',
    '{"command":"status","group":"x"}',
    '{"command":"drain"}',
    '{"command":"frobnicate"}',
    '{"command":7}',
    '{"command":"drain","group":"a\\u0001b"}',
    '{"command":"status","extra":[1,2,{"a":null}]}',
    '[1,2,3]',
    '{"command":"status"',
    '\n',
]


def fresh(directory):
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.glob("seed-*"):
        old.unlink()
    return directory


def core_seeds(vectors):
    out = fresh(HERE / "corpus" / "fuzz_core")
    for line in pathlib.Path(vectors).read_text().splitlines():
        if not line or line.startswith("#"):
            continue
        name, config, _action, _reason, _service, request = line.split("\t")[:6]
        (out / f"seed-{name}").write_bytes(bytes([TABLE_SETS.index(config)]) + bytes.fromhex(request))


def config_seeds():
    out = fresh(HERE / "corpus" / "fuzz_config")
    for path in sorted((TOP / "examples").glob("*.toml")) + sorted((TOP / "tests/control/data").glob("*.toml")):
        (out / f"seed-{path.name}").write_bytes(path.read_bytes())


def ctl_seeds():
    out = fresh(HERE / "corpus" / "fuzz_ctl_request")
    for i, line in enumerate(CTL_REQUESTS):
        (out / f"seed-{i:02d}").write_text(line + ("" if line.endswith("\n") else "\n"))


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_seeds.py VECTORS.tsv")
    core_seeds(sys.argv[1])
    config_seeds()
    ctl_seeds()


main()
