import numpy as np
import pytest

from gestura.errors import InputError
from gestura.io import atomic_write, read_json, read_npz, read_text, write_json, write_npz


def test_atomic_write_leaves_no_partial_file_on_crash(tmp_path):
    target = tmp_path / "out.bin"
    with pytest.raises(RuntimeError):
        with atomic_write(target) as f:
            f.write(b"half")
            raise RuntimeError("crash")
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_json_and_npz_round_trip(tmp_path):
    write_json(tmp_path / "a.json", {"x": np.float32(1.5), "y": np.arange(3)})
    assert read_json(tmp_path / "a.json") == {"x": 1.5, "y": [0, 1, 2]}
    write_npz(tmp_path / "a.npz", {"a": np.ones((2, 3))})
    assert read_npz(tmp_path / "a.npz")["a"].shape == (2, 3)


def test_corrupt_files_are_one_line_errors(tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip")
    with pytest.raises(InputError, match="bad.npz: not a readable .npz"):
        read_npz(bad)
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(InputError, match="bad.json: not valid JSON"):
        read_json(tmp_path / "bad.json")


def test_read_yaml_mapping_one_line_errors(tmp_path):
    from gestura.errors import ConfigError
    from gestura.io import read_yaml_mapping

    good = tmp_path / "ok.yaml"
    good.write_text("a: 1\nb: [2, 3]\n")
    assert read_yaml_mapping(good, "map") == {"a": 1, "b": [2, 3]}
    (tmp_path / "empty.yaml").write_text("")
    assert read_yaml_mapping(tmp_path / "empty.yaml", "map") == {}
    cases = {"missing.yaml": None, "bad.yaml": "a: [1,\n", "list.yaml": "- 1\n- 2\n"}
    for name, text in cases.items():
        if text is not None:
            (tmp_path / name).write_text(text)
        with pytest.raises(ConfigError, match=rf"{name}: ") as err:
            read_yaml_mapping(tmp_path / name, "command map", ConfigError)
        assert "\n" not in str(err.value)


def test_read_text_strips_bom_and_names_bad_files(tmp_path):
    (tmp_path / "a.txt").write_bytes("\ufeffhello\n".encode("utf-8"))
    assert read_text(tmp_path / "a.txt") == "hello\n"
    (tmp_path / "b.txt").write_bytes(b"\xff\xfe\x00bin")
    with pytest.raises(InputError, match=r"b\.txt: not a UTF-8 text file"):
        read_text(tmp_path / "b.txt")
    with pytest.raises(InputError, match=r"c\.txt: file not found"):
        read_text(tmp_path / "c.txt")
