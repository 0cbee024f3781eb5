"""The warehouse gate (gsm_platform/warehouse/gate.py): readers share it, writers hold it alone."""

import pytest


def test_the_warehouse_gate_lets_readers_share_and_makes_a_writer_wait(tmp_path, monkeypatch):
    """Readers share the gate; a writer waits behind them (saying so), then gets it."""
    import threading
    import time

    from gsm_platform import terminal
    from gsm_platform.warehouse.gate import WarehouseBusy, gate

    said: list[str] = []
    monkeypatch.setattr(terminal, "say", said.append)
    path = tmp_path / "warehouse.duckdb"
    with (
        gate(path, exclusive=False),
        gate(path, exclusive=False, wait=0),
        pytest.raises(WarehouseBusy, match=f"the warehouse is busy: {path} is held by"),
        gate(path, exclusive=True, wait=0.3),
    ):
        pass
    assert said and said[0].startswith("waiting for the warehouse: warehouse.duckdb is held by")
    released = threading.Event()

    def read_briefly():
        with gate(path, exclusive=False):
            time.sleep(0.5)
        released.set()

    reader = threading.Thread(target=read_briefly)
    reader.start()
    time.sleep(0.1)
    with gate(path, exclusive=True, wait=5):
        assert released.is_set()
    reader.join()
