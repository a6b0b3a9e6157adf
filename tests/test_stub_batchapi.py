"""The Batch API stand-in must behave like Groq's to the real ``groq`` SDK, or adp's batch mode is
tested against a friendlier service than the one it will meet."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import groq
import httpx
import pytest
from groq import Groq
from groq.types.chat import ChatCompletion

from tests.support.batchapi import BatchAPI, BatchScript, LostAnswer, ManualClock, RawLine, Timings, validation_error
from tests.support.groqstub import GroqStub, Reply, chat_body, model_not_found, rate_limited, server_error

MODEL = "openai/gpt-oss-20b"  # in Groq's Batch API list; at low effort it reasons 40 tokens first
ENDPOINT: Literal["/v1/chat/completions"] = "/v1/chat/completions"
# One phase per clock step keeps every status reachable without sleeping: validating 0-1 s,
# in_progress 1-11 s, finalizing 11-12 s, and one Groq hour lasts 1 s (so 24h expires at 24 s).
STEPS = Timings(validating=1.0, in_progress=10.0, finalizing=1.0, cancelling=1.0, hour=1.0)


@pytest.fixture
def stub() -> Iterator[GroqStub]:
    with GroqStub() as running:
        yield running


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def api(stub: GroqStub, clock: ManualClock) -> BatchAPI:
    return BatchAPI(stub, timings=STEPS, clock=clock)


@pytest.fixture
def client(stub: GroqStub) -> Groq:
    return Groq(api_key="gsk_test", base_url=stub.base_url, max_retries=0)


def request_line(number: int, **changes: object) -> dict:
    line: dict = {
        "custom_id": f"{number}:trk-{number:03d}",
        "method": "POST",
        "url": ENDPOINT,
        "body": {
            "model": MODEL,
            "messages": [
                {"role": "system", "content": "One poetic phrase about the music."},
                {"role": "user", "content": f"Genre: Rock {number}. Mood: dreamy."},
            ],
            "max_tokens": 60,  # room for the 40 reasoning tokens and the stub's 12-token answer
            "reasoning_effort": "low",
        },
    }
    line.update(changes)
    return line


def jsonl(lines: list[dict]) -> bytes:
    return "".join(json.dumps(line) + "\n" for line in lines).encode("utf-8")


def submit(
    client: Groq, count: int, window: str = "24h", metadata: dict[str, str] | None = None
) -> groq.types.BatchCreateResponse:
    upload = client.files.create(
        file=("items.jsonl", jsonl([request_line(n) for n in range(count)])), purpose="batch"
    )
    assert upload.id is not None
    return client.batches.create(
        input_file_id=upload.id, endpoint=ENDPOINT, completion_window=window, metadata=metadata
    )


def read_lines(client: Groq, file_id: str | None) -> list[dict]:
    assert file_id is not None
    return [json.loads(line) for line in client.files.content(file_id).text().splitlines()]


def error_code(raised: pytest.ExceptionInfo[groq.APIStatusError]) -> str:
    return raised.value.response.json()["error"]["code"]


# Files


@pytest.mark.parametrize("form", ["tuple", "path", "open file"])
def test_upload_answers_a_groq_file_object_and_keeps_the_exact_bytes(
    api: BatchAPI, client: Groq, tmp_path: Path, form: str
) -> None:
    data = jsonl([request_line(n) for n in range(3)])
    source = tmp_path / "batch_file.jsonl"
    source.write_bytes(data)
    with source.open("rb") as handle:
        if form == "tuple":
            upload = client.files.create(file=("batch_file.jsonl", data), purpose="batch")
        elif form == "path":
            upload = client.files.create(file=source, purpose="batch")
        else:
            upload = client.files.create(file=handle, purpose="batch")

    assert upload.id is not None and upload.id.startswith("file_01") and len(upload.id) == len("file_") + 26
    assert (upload.object, upload.purpose, upload.filename, upload.bytes) == (
        "file",
        "batch",
        "batch_file.jsonl",
        len(data),
    )
    assert client.files.info(upload.id) == groq.types.FileInfoResponse(**upload.model_dump())
    assert [file.id for file in client.files.list().data] == [upload.id]
    assert client.files.content(upload.id).read() == data
    assert (api.counters.uploads, api.counters.lines_uploaded) == (1, 3)


def test_a_deleted_file_is_gone(api: BatchAPI, client: Groq) -> None:
    upload = client.files.create(file=("a.jsonl", jsonl([request_line(0)])), purpose="batch")
    assert upload.id is not None

    deleted = client.files.delete(upload.id)

    assert (deleted.id, deleted.object, deleted.deleted) == (upload.id, "file", True)
    with pytest.raises(groq.NotFoundError):
        client.files.info(upload.id)
    with pytest.raises(groq.NotFoundError):
        client.files.content(upload.id)
    assert client.files.list().data == []
    assert api.counters.deletes == 1


BAD_LINES = {
    "not json": (b'{"custom_id": "a", "method": "POST"\n', "invalid_json_line", 1),
    "not an object": (b"[1, 2]\n", "invalid_json_line", 1),
    "duplicate custom_id": (
        jsonl([request_line(1), request_line(2, custom_id="1:trk-001")]),
        "duplicate_custom_id",
        2,
    ),
    "GET method": (
        jsonl([request_line(1), request_line(2), request_line(3, method="GET")]),
        "invalid_method",
        3,
    ),
    "wrong url": (jsonl([request_line(1, url="/v1/embeddings")]), "invalid_url", 1),
    "no custom_id": (
        jsonl([{"method": "POST", "url": ENDPOINT, "body": request_line(1)["body"]}]),
        "missing_required_parameter",
        1,
    ),
    "no model": (
        jsonl([request_line(1, body={"messages": [{"role": "user", "content": "hi"}]})]),
        "missing_required_parameter",
        1,
    ),
    "no messages": (
        jsonl([request_line(1, body={"model": MODEL, "messages": []})]),
        "missing_required_parameter",
        1,
    ),
    "blank line inside": (
        jsonl([request_line(1)]) + b"\n" + jsonl([request_line(2)]),
        "invalid_json_line",
        2,
    ),
    "empty": (b"\n\n", "empty_file", 0),
}


@pytest.mark.parametrize("case", BAD_LINES)
def test_a_bad_line_rejects_the_upload_with_its_line_number(api: BatchAPI, client: Groq, case: str) -> None:
    data, code, line = BAD_LINES[case]

    with pytest.raises(groq.BadRequestError) as raised:
        client.files.create(file=("bad.jsonl", data), purpose="batch")

    assert error_code(raised) == code
    assert raised.value.response.json()["error"]["type"] == "invalid_request_error"
    assert (f"Line {line}: " in str(raised.value)) == (line > 0)
    assert (api.counters.uploads, api.counters.rejected_uploads) == (0, 1)
    assert client.files.list().data == []


def test_the_get_method_error_is_the_one_groq_documents(api: BatchAPI, client: Groq) -> None:
    with pytest.raises(groq.BadRequestError) as raised:
        client.files.create(file=("bad.jsonl", jsonl([request_line(1, method="GET")])), purpose="batch")

    error = raised.value.response.json()["error"]
    assert (error["message"], error["param"]) == (
        "Line 1: Invalid value: 'GET'. Supported values are: 'POST'",
        "method",
    )


def test_crlf_lines_and_a_missing_final_newline_are_fine(api: BatchAPI, client: Groq) -> None:
    data = b"\r\n".join(json.dumps(request_line(n)).encode() for n in range(3))

    upload = client.files.create(file=("crlf.jsonl", data), purpose="batch")

    assert upload.bytes == len(data) and api.counters.lines_uploaded == 3


@pytest.mark.parametrize(
    ("filename", "purpose", "code"),
    [("items.csv", "batch", "invalid_file"), ("items.jsonl", "fine-tune", "invalid_value")],
)
def test_only_jsonl_files_for_batch_are_accepted(
    api: BatchAPI, client: Groq, filename: str, purpose: str, code: str
) -> None:
    with pytest.raises(groq.BadRequestError) as raised:
        client.files.create(file=(filename, jsonl([request_line(0)])), purpose=purpose)  # type: ignore[arg-type]

    assert error_code(raised) == code


def test_request_count_and_byte_limits_are_enforced_at_their_edges(stub: GroqStub, client: Groq) -> None:
    five = jsonl([request_line(n) for n in range(5)])
    api = BatchAPI(stub, max_requests=5, max_bytes=len(five))

    accepted = client.files.create(file=("five.jsonl", five), purpose="batch")
    with pytest.raises(groq.BadRequestError) as too_big:
        client.files.create(file=("big.jsonl", five + b" "), purpose="batch")
    api.max_bytes = 10 * len(five)
    with pytest.raises(groq.BadRequestError) as too_many:
        client.files.create(file=("six.jsonl", jsonl([request_line(n) for n in range(6)])), purpose="batch")
    trailing_blank_lines = client.files.create(file=("five.jsonl", five + b"\n\n"), purpose="batch")

    assert accepted.bytes == len(five) and trailing_blank_lines.bytes == len(five) + 2
    assert error_code(too_big) == "file_too_large"
    assert error_code(too_many) == "too_many_requests_in_file"
    assert (api.counters.uploads, api.counters.rejected_uploads, api.counters.lines_uploaded) == (2, 2, 10)


def test_a_job_split_under_the_limits_runs_as_several_batches(
    stub: GroqStub, client: Groq, clock: ManualClock
) -> None:
    api = BatchAPI(stub, max_requests=4, timings=STEPS, clock=clock)
    lines = [request_line(n) for n in range(10)]
    with pytest.raises(groq.BadRequestError):
        client.files.create(file=("all.jsonl", jsonl(lines)), purpose="batch")

    batch_ids = []
    for start in range(0, len(lines), api.max_requests):
        upload = client.files.create(
            file=(f"part{start}.jsonl", jsonl(lines[start : start + 4])), purpose="batch"
        )
        assert upload.id is not None
        batch_ids.append(
            client.batches.create(input_file_id=upload.id, endpoint=ENDPOINT, completion_window="24h").id
        )
    clock.advance(12)

    finished = [client.batches.retrieve(batch_id) for batch_id in batch_ids]
    assert [(b.status, b.request_counts.total if b.request_counts else None) for b in finished] == [
        ("completed", 4),
        ("completed", 4),
        ("completed", 2),
    ]
    answered = [line["custom_id"] for b in finished for line in read_lines(client, b.output_file_id)]
    assert sorted(answered) == sorted(line["custom_id"] for line in lines)
    assert api.counters.batches_created == 3


# The lifecycle


def test_a_batch_walks_validating_in_progress_finalizing_completed(
    api: BatchAPI, client: Groq, clock: ManualClock
) -> None:
    created = submit(client, 20, metadata={"app": "adp", "task": "casual"})
    assert created.status == "validating" and created.id.startswith("batch_01")
    assert created.request_counts is not None and created.request_counts.total == 0
    assert created.expires_at == created.created_at + 24 * 3600
    assert (created.in_progress_at, created.output_file_id, created.errors) == (None, None, None)
    assert created.metadata == {"app": "adp", "task": "casual"}

    clock.advance(1.0)
    started = client.batches.retrieve(created.id)
    clock.advance(5.0)
    halfway = client.batches.retrieve(created.id)
    clock.advance(5.0)
    finalizing = client.batches.retrieve(created.id)
    clock.advance(1.0)
    done = client.batches.retrieve(created.id)

    assert started.status == "in_progress" and started.in_progress_at is not None
    assert halfway.request_counts is not None and (
        halfway.request_counts.total,
        halfway.request_counts.completed,
    ) == (20, 10)
    assert finalizing.status == "finalizing" and finalizing.finalizing_at is not None
    assert done.status == "completed" and done.completed_at is not None
    assert done.request_counts is not None and (
        done.request_counts.completed,
        done.request_counts.failed,
    ) == (20, 0)
    assert done.error_file_id is None and done.output_file_id is not None
    assert api.counters.retrieves == 4


def test_output_lines_are_real_chat_completions_mapped_by_custom_id(
    stub: GroqStub, api: BatchAPI, client: Groq, clock: ManualClock
) -> None:
    stub.content = lambda request: "Echo: " + request["messages"][-1]["content"]
    batch = submit(client, 30)
    clock.advance(12)

    done = client.batches.retrieve(batch.id)
    lines = read_lines(client, done.output_file_id)

    asked = {
        request_line(n)["custom_id"]: request_line(n)["body"]["messages"][-1]["content"] for n in range(30)
    }
    assert sorted(line["custom_id"] for line in lines) == sorted(asked)
    assert [line["custom_id"] for line in lines] != list(asked)  # Groq: results may come in any order
    for line in lines:
        assert line["id"].startswith("batch_req_") and line["error"] is None
        assert line["response"]["status_code"] == 200 and line["response"]["request_id"].startswith("req_")
        completion = ChatCompletion.model_validate(line["response"]["body"])
        assert completion.choices[0].message.content == "Echo: " + asked[line["custom_id"]]
        assert completion.model == MODEL and completion.usage is not None
        assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (120, 52)  # 12 + 40 reasoning
        assert completion.usage.completion_tokens_details is not None
        assert completion.usage.completion_tokens_details.reasoning_tokens == 40
    assert len({line["id"] for line in lines}) == 30


def test_result_files_are_the_same_on_every_download_and_listed_as_batch_output(
    stub: GroqStub, api: BatchAPI, client: Groq, clock: ManualClock
) -> None:
    stub.content = lambda request: request["messages"][-1]["content"][::-1]
    batch = submit(client, 12)
    clock.advance(12)
    done = client.batches.retrieve(batch.id)
    assert done.output_file_id is not None

    first = client.files.content(done.output_file_id).read()
    second = client.files.content(done.output_file_id).read()
    info = client.files.info(done.output_file_id)

    assert first == second and info.bytes == len(first)
    assert (info.purpose, info.filename) == ("batch_output", f"{batch.id}_output.jsonl")
    assert {file.purpose for file in client.files.list().data} == {"batch", "batch_output"}
    assert api.counters.downloads == 2


def test_streamed_download_reads_line_by_line(api: BatchAPI, client: Groq, clock: ManualClock) -> None:
    batch = submit(client, 2000)
    clock.advance(12)
    done = client.batches.retrieve(batch.id)
    assert done.output_file_id is not None

    with client.files.with_streaming_response.content(done.output_file_id) as response:
        custom_ids = {json.loads(line)["custom_id"] for line in response.iter_lines() if line}

    assert custom_ids == {request_line(n)["custom_id"] for n in range(2000)}


def test_per_request_errors_go_to_the_error_file_with_groq_bodies(
    api: BatchAPI, client: Groq, clock: ManualClock
) -> None:
    scripted = {2: model_not_found(MODEL), 5: rate_limited(), 7: server_error(), 9: Reply(status=422)}
    custom = chat_body("Scripted answer", MODEL, 7, 3)
    api.outcome = lambda index, custom_id, body: Reply(body=custom) if index == 4 else scripted.get(index)
    batch = submit(client, 10)
    clock.advance(6)
    midway = client.batches.retrieve(batch.id)
    clock.advance(6)

    done = client.batches.retrieve(batch.id)
    errors = {line["custom_id"]: line for line in read_lines(client, done.error_file_id)}
    outputs = {line["custom_id"]: line for line in read_lines(client, done.output_file_id)}

    assert done.status == "completed"
    assert done.request_counts is not None and (
        done.request_counts.completed,
        done.request_counts.failed,
    ) == (6, 4)
    assert (
        midway.request_counts is not None
        and midway.request_counts.completed + midway.request_counts.failed == 5
    )
    assert {cid.split(":")[0] for cid in errors} == {"2", "5", "7", "9"}
    assert {cid.split(":")[0] for cid in outputs} == {"0", "1", "3", "4", "6", "8"}
    assert errors["2:trk-002"]["response"]["status_code"] == 404
    assert errors["2:trk-002"]["response"]["body"]["error"]["code"] == "model_not_found"
    assert errors["5:trk-005"]["response"]["body"]["error"]["code"] == "rate_limit_exceeded"
    assert errors["7:trk-007"]["response"]["status_code"] == 500
    assert errors["9:trk-009"]["response"]["body"] == {
        "error": {"message": "Unprocessable Entity", "type": "invalid_request_error"}
    }
    assert all(line["error"] is None for line in errors.values())
    assert outputs["4:trk-004"]["response"]["body"]["choices"][0]["message"]["content"] == "Scripted answer"


def test_a_batch_where_every_line_fails_has_no_output_file(
    api: BatchAPI, client: Groq, clock: ManualClock
) -> None:
    api.outcome = lambda index, custom_id, body: model_not_found(body["model"])
    batch = submit(client, 4)
    clock.advance(12)

    done = client.batches.retrieve(batch.id)

    assert (done.status, done.output_file_id) == ("completed", None)
    assert len(read_lines(client, done.error_file_id)) == 4


def test_a_stalled_batch_expires_with_its_finished_results_and_the_rest_as_batch_expired(
    api: BatchAPI, client: Groq, clock: ManualClock
) -> None:
    api.outcome = lambda index, custom_id, body: server_error() if custom_id.startswith("3:") else None
    api.enqueue(BatchScript(stop_after=10))
    batch = submit(client, 25)
    clock.advance(23.9)
    stalled = client.batches.retrieve(batch.id)
    clock.advance(0.2)

    expired = client.batches.retrieve(batch.id)
    outputs = read_lines(client, expired.output_file_id)
    errors = read_lines(client, expired.error_file_id)

    assert stalled.status == "in_progress" and stalled.expired_at is None
    assert expired.status == "expired" and expired.expired_at is not None and expired.completed_at is None
    counts = expired.request_counts
    assert counts is not None and counts.total == 25 and counts.completed + counts.failed == 10
    unreached = [line for line in errors if line["response"] is None]
    assert len(unreached) == 15 and len(outputs) == counts.completed
    assert {line["error"]["code"] for line in unreached} == {"batch_expired"}
    assert (
        unreached[0]["error"]["message"]
        == "This request could not be executed before the completion window expired."
    )
    everyone = {line["custom_id"] for line in outputs + errors}
    assert everyone == {request_line(n)["custom_id"] for n in range(25)}


def test_a_slow_batch_expires_when_its_window_ends(api: BatchAPI, client: Groq, clock: ManualClock) -> None:
    api.enqueue(BatchScript(timings=Timings(validating=1.0, in_progress=46.0, hour=1.0)))
    batch = submit(client, 46)
    clock.advance(24.0)

    expired = client.batches.retrieve(batch.id)

    assert expired.status == "expired" and expired.request_counts is not None
    assert expired.request_counts.completed == 23  # one line a second from 1 s to the 24 s window end
    assert len(read_lines(client, expired.error_file_id)) == 23


def test_a_longer_window_lets_the_same_slow_batch_complete(
    api: BatchAPI, client: Groq, clock: ManualClock
) -> None:
    api.enqueue(BatchScript(timings=Timings(validating=1.0, in_progress=46.0, finalizing=1.0, hour=1.0)))
    batch = submit(client, 46, window="2d")
    assert batch.expires_at == batch.created_at + 48 * 3600
    clock.advance(48.0)

    done = client.batches.retrieve(batch.id)

    assert done.status == "completed" and done.error_file_id is None


def test_a_batch_can_expire_while_still_validating(api: BatchAPI, client: Groq, clock: ManualClock) -> None:
    api.enqueue(BatchScript(timings=Timings(validating=30.0, hour=1.0)))
    batch = submit(client, 3)
    clock.advance(25.0)

    expired = client.batches.retrieve(batch.id)

    assert (expired.status, expired.in_progress_at, expired.output_file_id) == ("expired", None, None)
    assert expired.request_counts is not None and expired.request_counts.total == 0
    assert len(read_lines(client, expired.error_file_id)) == 3


def test_cancel_keeps_finished_results_and_reports_the_rest_as_batch_cancelled(
    api: BatchAPI, client: Groq, clock: ManualClock
) -> None:
    batch = submit(client, 20)
    clock.advance(4.0)  # 6 of 20 lines run

    cancelling = client.batches.cancel(batch.id)
    clock.advance(0.5)
    still = client.batches.retrieve(batch.id)
    clock.advance(0.5)
    cancelled = client.batches.retrieve(batch.id)
    clock.advance(30.0)
    later = client.batches.retrieve(batch.id)

    assert cancelling.status == "cancelling" and cancelling.cancelling_at is not None
    assert (
        still.status == "cancelling"
        and still.request_counts is not None
        and still.request_counts.completed == 6
    )
    assert cancelled.status == "cancelled" and cancelled.cancelled_at is not None
    assert later == cancelled  # nothing runs after a cancel, and it never expires
    assert len(read_lines(client, cancelled.output_file_id)) == 6
    errors = read_lines(client, cancelled.error_file_id)
    assert len(errors) == 14 and {line["error"]["code"] for line in errors} == {"batch_cancelled"}
    assert api.counters.cancels == 1


def test_cancel_while_validating_runs_nothing(api: BatchAPI, client: Groq, clock: ManualClock) -> None:
    batch = submit(client, 5)

    client.batches.cancel(batch.id)
    clock.advance(1.0)
    cancelled = client.batches.retrieve(batch.id)

    assert (cancelled.status, cancelled.in_progress_at, cancelled.output_file_id) == ("cancelled", None, None)
    assert len(read_lines(client, cancelled.error_file_id)) == 5


def test_cancel_while_finalizing_keeps_every_result(api: BatchAPI, client: Groq, clock: ManualClock) -> None:
    batch = submit(client, 8)
    clock.advance(11.5)

    client.batches.cancel(batch.id)
    clock.advance(1.0)
    cancelled = client.batches.retrieve(batch.id)

    assert (cancelled.status, cancelled.error_file_id) == ("cancelled", None)
    assert cancelled.finalizing_at is not None and cancelled.completed_at is None
    assert len(read_lines(client, cancelled.output_file_id)) == 8


def test_cancelling_twice_changes_nothing_and_a_finished_batch_cannot_be_cancelled(
    api: BatchAPI, client: Groq, clock: ManualClock
) -> None:
    running = submit(client, 5)
    clock.advance(2.0)
    first = client.batches.cancel(running.id)
    clock.advance(0.5)
    second = client.batches.cancel(running.id)
    finished = submit(client, 5)
    clock.advance(12.0)

    with pytest.raises(groq.ConflictError) as raised:
        client.batches.cancel(finished.id)

    assert (first.status, second.status, second.cancelling_at) == (
        "cancelling",
        "cancelling",
        first.cancelling_at,
    )
    assert api.counters.cancels == 1
    assert "completed" in raised.value.response.json()["error"]["message"]


def test_a_batch_that_fails_validation_reports_errors_data(
    api: BatchAPI, client: Groq, clock: ManualClock
) -> None:
    api.enqueue(
        BatchScript(
            validation_errors=[
                validation_error("invalid_method", "Invalid value: 'GET'.", line=4, param="method")
            ]
        )
    )
    batch = submit(client, 5)
    clock.advance(0.5)
    validating = client.batches.retrieve(batch.id)
    clock.advance(0.5)

    failed = client.batches.retrieve(batch.id)

    assert validating.status == "validating" and validating.errors is None
    assert failed.status == "failed" and failed.failed_at is not None
    assert failed.errors is not None and failed.errors.object == "list" and failed.errors.data is not None
    assert [(e.code, e.line, e.param) for e in failed.errors.data] == [("invalid_method", 4, "method")]
    assert (failed.output_file_id, failed.error_file_id) == (None, None)
    assert failed.request_counts is not None and failed.request_counts.total == 0


def test_scripts_apply_to_the_next_batches_in_order(api: BatchAPI, client: Groq, clock: ManualClock) -> None:
    api.enqueue(
        BatchScript(validation_errors=[validation_error("empty_file", "Empty.")]), BatchScript(stop_after=0)
    )
    batches = [submit(client, 2) for _ in range(3)]
    clock.advance(30.0)

    assert [client.batches.retrieve(b.id).status for b in batches] == ["failed", "expired", "completed"]


# Create parameters, lists, errors


@pytest.mark.parametrize("window", ["12h", "23h", "8d", "169h", "1w", "24 h", ""])
def test_completion_windows_outside_24h_to_7d_are_refused(api: BatchAPI, client: Groq, window: str) -> None:
    upload = client.files.create(file=("a.jsonl", jsonl([request_line(0)])), purpose="batch")
    assert upload.id is not None

    with pytest.raises(groq.BadRequestError) as raised:
        client.batches.create(input_file_id=upload.id, endpoint=ENDPOINT, completion_window=window)

    assert raised.value.response.json()["error"]["param"] == "completion_window"
    assert api.counters.batches_created == 0


@pytest.mark.parametrize(
    ("window", "hours"), [("24h", 24), ("36h", 36), ("1d", 24), ("7d", 168), ("168h", 168)]
)
def test_windows_from_24h_to_7d_set_expires_at(api: BatchAPI, client: Groq, window: str, hours: int) -> None:
    batch = submit(client, 1, window=window)

    assert batch.expires_at is not None
    assert (batch.completion_window, batch.expires_at - batch.created_at) == (window, hours * 3600)


def test_create_refuses_other_endpoints_output_files_and_bad_metadata(
    api: BatchAPI, client: Groq, clock: ManualClock
) -> None:
    batch = submit(client, 1)
    clock.advance(12)
    output = client.batches.retrieve(batch.id).output_file_id
    assert output is not None

    with pytest.raises(groq.BadRequestError) as endpoint:
        client.batches.create(
            input_file_id=batch.input_file_id,
            endpoint="/v1/embeddings",  # type: ignore[arg-type]
            completion_window="24h",
        )
    with pytest.raises(groq.BadRequestError) as not_input:
        client.batches.create(input_file_id=output, endpoint=ENDPOINT, completion_window="24h")
    with pytest.raises(groq.BadRequestError) as metadata:
        client.batches.create(
            input_file_id=batch.input_file_id,
            endpoint=ENDPOINT,
            completion_window="24h",
            metadata={"n": 1},  # type: ignore[dict-item]
        )

    params = [raised.value.response.json()["error"]["param"] for raised in (endpoint, not_input, metadata)]
    assert params == ["endpoint", "input_file_id", "metadata"]


def test_unknown_ids_answer_404(api: BatchAPI, client: Groq) -> None:
    calls = [
        lambda: client.batches.retrieve("batch_01nope"),
        lambda: client.batches.cancel("batch_01nope"),
        lambda: client.files.info("file_01nope"),
        lambda: client.files.content("file_01nope"),
        lambda: client.files.delete("file_01nope"),
        lambda: client.batches.create(
            input_file_id="file_01nope", endpoint=ENDPOINT, completion_window="24h"
        ),
    ]
    for call in calls:
        with pytest.raises(groq.NotFoundError) as raised:
            call()
        assert error_code(raised) == "not_found"


def test_list_pages_newest_first_with_groq_cursors(stub: GroqStub, client: Groq, clock: ManualClock) -> None:
    api = BatchAPI(stub, timings=STEPS, clock=clock, page_size=2)
    created = []
    for _ in range(5):
        created.append(submit(client, 1).id)
        clock.advance(0.1)

    pages = [client.batches.list()]
    while (cursor := (pages[-1].model_extra or {})["paging"]["next_cursor"]) is not None:
        assert cursor.startswith("cursor_")
        pages.append(client.batches.list(extra_query={"cursor": cursor}))

    assert [[batch.id for batch in page.data] for page in pages] == [
        created[4:2:-1],
        created[2:0:-1],
        created[:1],
    ]
    assert api.counters.lists == 3


def test_list_by_ids_returns_just_those_batches(stub: GroqStub, api: BatchAPI, client: Groq) -> None:
    ids = [submit(client, 1).id for _ in range(3)]

    answer = httpx.get(
        f"{stub.base_url}/openai/v1/batches",
        params=[("id", ids[0]), ("id", ids[2]), ("id", "batch_01unknown")],
        headers={"Authorization": "Bearer gsk_test"},
    )

    assert answer.status_code == 200
    assert [batch["id"] for batch in answer.json()["data"]] == [ids[0], ids[2]]


def test_free_plan_keys_are_refused(stub: GroqStub, client: Groq) -> None:
    BatchAPI(stub, available=False)

    with pytest.raises(groq.PermissionDeniedError) as raised:
        client.files.create(file=("a.jsonl", jsonl([request_line(0)])), purpose="batch")

    assert raised.value.response.json()["error"] == {
        "message": "The Batch API is not available for your plan. Please upgrade to use it.",
        "type": "permissions_error",
        "code": "not_available_for_plan",
    }


def test_batch_endpoints_need_a_key_and_leave_chat_alone(stub: GroqStub, api: BatchAPI, client: Groq) -> None:
    anonymous = httpx.get(f"{stub.base_url}/openai/v1/batches")
    chat = client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "hi"}])

    assert anonymous.status_code == 401
    assert chat.choices[0].message.content == "A warm test phrase."


# Misbehaving on purpose


def test_a_lost_answer_after_creating_leaves_the_batch_or_file_made(api: BatchAPI, client: Groq) -> None:
    api.lose_answers("files", LostAnswer())
    api.lose_answers("batches", LostAnswer(), LostAnswer(created=False, reply=Reply(status=502)))
    data = jsonl([request_line(0)])

    with pytest.raises(groq.InternalServerError):
        client.files.create(file=("kept.jsonl", data), purpose="batch")
    (kept,) = client.files.list().data
    assert kept.id is not None
    with pytest.raises(groq.InternalServerError):
        client.batches.create(input_file_id=kept.id, endpoint=ENDPOINT, completion_window="24h")
    with pytest.raises(groq.APIStatusError) as refused:
        client.batches.create(input_file_id=kept.id, endpoint=ENDPOINT, completion_window="24h")
    answered = client.batches.create(input_file_id=kept.id, endpoint=ENDPOINT, completion_window="24h")

    assert (kept.filename, kept.bytes) == ("kept.jsonl", len(data))
    assert refused.value.status_code == 502
    assert (api.counters.uploads, api.counters.batches_created) == (1, 2)
    listed = [batch.id for batch in client.batches.list().data]
    assert len(listed) == 2 and answered.id in listed  # the first, made before its 500, is there too


def test_a_late_answer_comes_after_the_work_is_done(stub: GroqStub, api: BatchAPI) -> None:
    api.lose_answers("files", LostAnswer(delay=0.5))
    impatient = Groq(api_key="gsk_test", base_url=stub.base_url, max_retries=0, timeout=0.1)

    with pytest.raises(groq.APITimeoutError):
        impatient.files.create(file=("late.jsonl", jsonl([request_line(0)])), purpose="batch")

    assert api.counters.uploads == 1


def test_raw_lines_go_to_the_output_file_as_written(api: BatchAPI, client: Groq, clock: ManualClock) -> None:
    raw = {1: RawLine("<html>502</html>"), 2: RawLine('{"custom_id": @custom_id@, "response": [1, 2]}')}
    api.outcome = lambda index, custom_id, body: raw.get(index)
    batch = submit(client, 3)
    clock.advance(12)

    done = client.batches.retrieve(batch.id)
    assert done.output_file_id is not None
    text = client.files.content(done.output_file_id).text().splitlines()

    assert done.request_counts is not None and (done.request_counts.completed, done.request_counts.failed) == (3, 0)
    assert sorted(text, key=len)[:2] == ["<html>502</html>", '{"custom_id": "2:trk-002", "response": [1, 2]}']
    assert done.error_file_id is None


@pytest.mark.parametrize("loop", ["same_cursor", "same_page", "new_ids"])
def test_an_endless_list_always_has_a_next_page(stub: GroqStub, client: Groq, clock: ManualClock, loop: str) -> None:
    BatchAPI(stub, timings=STEPS, clock=clock, page_size=2, list_loop=loop)
    made = {submit(client, 1).id for _ in range(3)}

    pages = [client.batches.list()]
    for _ in range(3):
        pages.append(client.batches.list(extra_query={"cursor": (pages[-1].model_extra or {})["paging"]["next_cursor"]}))

    cursors = [(page.model_extra or {})["paging"]["next_cursor"] for page in pages]
    ids = [[batch.id for batch in page.data] for page in pages]
    assert all(cursor for cursor in cursors) and all(len(page) == 2 for page in ids)
    assert (len(set(cursors)) == 1) == (loop == "same_cursor")
    assert all(set(page) <= made for page in ids) == (loop != "new_ids")


# Scale


def test_a_100000_line_batch_uploads_completes_and_streams_back_whole(
    stub: GroqStub, client: Groq
) -> None:
    count = 100_000
    api = BatchAPI(
        stub, max_requests=count, timings=Timings(validating=0.05, in_progress=0.3, finalizing=0.05)
    )
    template = json.dumps(request_line(0)).replace('"0:trk-000"', '"{}"')
    data = "".join(template.replace('"{}"', f'"{n}:trk"') + "\n" for n in range(count)).encode()
    upload = client.files.create(file=("big.jsonl", io.BytesIO(data)), purpose="batch")
    assert upload.id is not None
    batch_id = client.batches.create(input_file_id=upload.id, endpoint=ENDPOINT, completion_window="24h").id
    batch = client.batches.retrieve(batch_id)
    while batch.status not in ("completed", "failed", "expired", "cancelled"):
        time.sleep(0.05)
        batch = client.batches.retrieve(batch_id)
    assert batch.output_file_id is not None
    seen = 0
    with client.files.with_streaming_response.content(batch.output_file_id) as response:
        for line in response.iter_lines():
            seen += bool(line)

    # How fast is bench/batch_api.py's to say, in ratios: a time bound here would fail on a busy machine.
    assert batch.status == "completed" and seen == count == api.counters.lines_uploaded
