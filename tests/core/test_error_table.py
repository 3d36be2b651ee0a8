"""The error decision table (core.analyzers.provider_errors.ROWS) against real answers.

Every body below was sent by a real server, or is what a server's own code writes; each names
where it comes from. "LiteLLM 1.108.7 capture" means the answer of a real LiteLLM proxy
(litellm 1.108.7, no database) run on 127.0.0.1 for this file, in front of a small upstream
that answered with the OpenAI bodies quoted here; "LiteLLM 1.108.7 code" means a body built by
LiteLLM's own exception classes where a live capture needs a database.

The rule under test: an error about the server or the account (unknown model, refused key,
no money) pauses the queue; an error about this job fails it; throttling and server trouble
are retried. Test ids are the capture names, so a failing row says whose answer it was.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from core.analyzers.openai_compat import make_openai_analyzer
from core.analyzers.provider_errors import (
    FALLBACK,
    ROWS,
    classify_http,
    find_row,
    parse_error_body,
    parse_retry_after,
)
from core.errors import ErrorClass
from core.settings import Settings, apply_env

R, P, S = ErrorClass.RETRYABLE, ErrorClass.PERMANENT, ErrorClass.STOP_QUEUE
DASHSCOPE_DOCS = "https://www.alibabacloud.com/help/en/model-studio/error-code"


@dataclass(frozen=True)
class Capture:
    name: str
    status: int
    body: Any  # str (raw bytes as sent) or a JSON object
    kind: str
    error_class: ErrorClass
    source: str
    dashscope: bool = False
    headers: dict[str, str] = field(default_factory=dict)


CAPTURES = [
    # ------------------------------------------------------------------ money: pause the queue
    Capture("dashscope-arrearage", 400,
            {"code": "Arrearage", "message": "Access denied, plesase make sure your account is "
             "in good standing.", "request_id": "5f1c1e1b-0c4d-9d5e-8c1a-3b7d2c9e4f10"},
            "quota", S, f"{DASHSCOPE_DOCS} (400 Arrearage; the typo is DashScope's)",
            dashscope=True),
    Capture("dashscope-free-tier-only", 403,
            {"code": "AllocationQuota.FreeTierOnly", "message": "The free tier of the model has "
             "been exhausted. If you wish to continue access the model on a paid basis, please "
             "disable the \"use free tier only\" mode in the management console.",
             "request_id": "d1e2"},
            "quota", S, f"{DASHSCOPE_DOCS} (403 AllocationQuota.FreeTierOnly)", dashscope=True),
    Capture("litellm-budget-exceeded", 422,
            {"error": {"message": "Budget has been exceeded! Key=key Current cost: 1.0, Max "
                       "budget: 0.5", "type": "budget_exceeded", "param": None, "code": "422"}},
            "quota", S, "LiteLLM 1.108.7 code: auth_checks.virtual_key_max_budget_check raising "
            "BudgetExceededError, turned into the answer by auth_exception_handler."
            "_as_proxy_exception (422 since litellm.budget_exceeded_status_code)"),
    Capture("wandb-402", 402,
            "You exceeded your current quota, please check your plan and billing details",
            "quota", S, "https://docs.wandb.ai/support/models/articles/why-am-i-getting-"
            "insufficient-quota-erro (402; the text, not the body's shape)"),
    Capture("openai-insufficient-quota", 429,
            {"error": {"message": "You exceeded your current quota, please check your plan and "
                       "billing details. For more information on this error, read the docs: "
                       "https://platform.openai.com/docs/guides/error-codes/api-errors.",
                       "type": "insufficient_quota", "param": None,
                       "code": "insufficient_quota"}},
            "quota", S, "https://github.com/chatanywhere/GPT_API_free/issues/229 and "
            "https://github.com/simonw/llm/issues/494"),
    Capture("litellm-openai-insufficient-quota", 429,
            {"error": {"message": "litellm.RateLimitError: RateLimitError: OpenAIException - You "
                       "exceeded your current quota, please check your plan and billing "
                       "details. For more information on this error, read the docs: "
                       "https://platform.openai.com/docs/guides/error-codes/api-errors.\n\n"
                       "LiteLLM: model group 'quota' failed with the error above. No fallback "
                       "was attempted.", "type": "throttling_error", "param": None,
                       "code": "429"}},
            "quota", S, "LiteLLM 1.108.7 capture, upstream answering OpenAI's insufficient_quota: "
            "only the words survive"),
    # DashScope uses OpenAI's code and words for its token quota: a rate limit, not a bill.
    Capture("dashscope-insufficient-quota", 429,
            {"error": {"code": "insufficient_quota", "message": "You exceeded your current "
                       "quota, please check your plan and billing details. For details, see: "
                       "https://help.aliyun.com/zh/model-studio/error-code#token-limit",
                       "param": None, "type": "insufficient_quota"}, "request_id": ""},
            "rate_limited", R, "https://github.com/hawkxtreme/mini-ai-1c/issues/23 (qwen, "
            "compatible mode)", dashscope=True),
    Capture("dashscope-insufficient-quota-behind-a-gateway", 429,
            {"error": {"code": "insufficient_quota", "message": "You exceeded your current "
                       "quota, please check your plan and billing details. For details, see: "
                       "https://help.aliyun.com/zh/model-studio/error-code#token-limit",
                       "param": None, "type": "insufficient_quota"}, "request_id": ""},
            "rate_limited", R, "the same body where the URL does not say DashScope"),
    Capture("dashscope-allocated-quota", 429,
            {"error": {"code": "insufficient_quota", "message": "Allocated quota exceeded, "
                       "please increase your quota limit. For details, see: "
                       "https://help.aliyun.com/zh/model-studio/error-code#token-limit",
                       "param": None, "type": "insufficient_quota"}, "request_id": ""},
            "rate_limited", R, "https://github.com/QwenLM/Qwen/issues/2254 (the message) in the "
            "compatible-mode shape above", dashscope=True),
    # DashScope lists it as 429 Throttling.AllocationQuota: the model's free allocation is used
    # up. Waiting does not bring it back, so it stays a stop (one gateway reads it as a
    # per-minute limit; the table keeps the stop and says why in the message).
    Capture("dashscope-free-allocated-quota", 429,
            {"error": {"code": "insufficient_quota", "message": "Free allocated quota exceeded.",
                       "param": None, "type": "insufficient_quota"}},
            "quota", S, f"{DASHSCOPE_DOCS} (429 Throttling.AllocationQuota, free allocation)",
            dashscope=True),
    Capture("dashscope-prepaid-bill-overdue", 429,
            {"code": "PrepaidBillOverdue", "message": "The prepaid bill is overdue.",
             "request_id": "r"},
            "quota", S, f"{DASHSCOPE_DOCS} (429 PrepaidBillOverdue)", dashscope=True),
    Capture("dashscope-commodity-not-purchased", 429,
            {"code": "CommodityNotPurchased", "message": "Commodity has not purchased yet.",
             "request_id": "r"},
            "quota", S, f"{DASHSCOPE_DOCS} (429 CommodityNotPurchased)", dashscope=True),
    Capture("gemini-free-tier-per-minute", 429,
            {"error": {"message": "{\n  \"error\": {\n    \"code\": 429,\n    \"message\": \"You "
                       "exceeded your current quota, please check your plan and billing "
                       "details. For more information on this error, head to: "
                       "https://ai.google.dev/gemini-api/docs/rate-limits.\",\n    \"status\": "
                       "\"RESOURCE_EXHAUSTED\",\n    \"details\": [\n      {\n        \"@type\": "
                       "\"type.googleapis.com/google.rpc.RetryInfo\",\n        \"retryDelay\": "
                       "\"26s\"\n      }\n    ]\n  }\n}\n", "code": 429,
                       "status": "Too Many Requests"}},
            "rate_limited", R, "https://github.com/RooCodeInc/Roo-Code/issues/3883 and "
            "https://github.com/cline/cline/issues/4874 (details list shortened)"),
    # ---------------------------------------------------------------- the key: pause the queue
    Capture("openai-invalid-api-key", 401,
            {"error": {"message": "Incorrect API key provided: sk-PMafP*****************"
                       "**********************E873. You can find your API key at "
                       "https://platform.openai.com/account/api-keys.",
                       "type": "invalid_request_error", "param": None,
                       "code": "invalid_api_key"}},
            "bad_key", S, "https://github.com/popjane/free_chatgpt_api/issues/3"),
    Capture("litellm-no-connected-db", 400,
            '{"error":{"message":"No connected db.","type":"no_db_connection","param":null,'
            '"code":"400"}}',
            "bad_key", S, "LiteLLM 1.108.7 capture: master key set, no database, any other key "
            "(user_api_key_auth.py: 'No connected db.')"),
    Capture("litellm-auth-error", 401,
            '{"error":{"message":"Authentication Error, unknown key","type":"auth_error",'
            '"param":"None","code":"401"}}',
            "bad_key", S, "LiteLLM 1.108.7 capture: a custom auth hook refusing the key "
            "(auth_exception_handler._as_proxy_exception)"),
    Capture("litellm-upstream-401", 401,
            {"error": {"message": "litellm.AuthenticationError: AuthenticationError: "
                       "OpenAIException - Incorrect API key provided: sk-abc***wxyz. You can "
                       "find your API key at https://platform.openai.com/account/api-keys.\n\n"
                       "LiteLLM: model group 'badkey' failed with the error above. No fallback "
                       "was attempted.", "type": "authentication_error", "param": None,
                       "code": "401"}},
            "bad_key", S, "LiteLLM 1.108.7 capture, upstream answering 401 invalid_api_key"),
    Capture("llama-cpp-invalid-api-key", 401,
            {"error": {"code": 401, "message": "Invalid API Key",
                       "type": "authentication_error"}},
            "bad_key", S, "llama.cpp tools/server: middleware_validate_api_key + "
            "format_error_response(ERROR_TYPE_AUTHENTICATION), wrapped by res_err"),
    Capture("dashscope-invalid-api-key", 401,
            {"code": "InvalidApiKey", "message": "Invalid API-key provided.",
             "request_id": "a1b2"},
            "bad_key", S, f"{DASHSCOPE_DOCS} (401 InvalidApiKey)", dashscope=True),
    # ---------------------------------------------------------------- the model: pause the queue
    Capture("litellm-key-model-access-denied", 403,
            {"error": {"message": "The requested model 'gpt-4o' is not available for this API "
                       "key, or the model name is invalid. Check the models available to you "
                       "and try again.", "type": "key_model_access_denied", "param": "model",
                       "code": "403"}},
            "bad_model", S, "LiteLLM 1.108.7 code: auth_checks raising "
            "ModelAccessDeniedProxyException(key_model_access_denied, 403)"),
    Capture("litellm-invalid-model-name", 400,
            '{"error":{"message":"/chat/completions: Invalid model name passed in '
            'model=nosuchmodel. Call `/v1/models` to view available models for your key.",'
            '"type":"invalid_request_error","param":null,"code":"400","provider_specific_fields"'
            ':{"error":"/chat/completions: Invalid model name passed in model=nosuchmodel. Call '
            '`/v1/models` to view available models for your key."}}}',
            "bad_model", S, "LiteLLM 1.108.7 capture (route_llm_request.ProxyModelNotFoundError)"),
    Capture("openai-model-not-found", 404,
            {"error": {"message": "The model `gpt-4o-2024-08-06` does not exist or you do not "
                       "have access to it.", "type": "invalid_request_error", "param": None,
                       "code": "model_not_found"}},
            "bad_model", S, "https://github.com/Aider-AI/aider/issues/2030"),
    Capture("vllm-model-does-not-exist", 404,
            {"error": {"message": "The model `qwen2.5-7b` does not exist.",
                       "type": "NotFoundError", "param": "model", "code": 404}},
            "bad_model", S, "vllm/entrypoints/openai/engine/serving.py OpenAIServing._check_model"),
    Capture("vllm-flat-model-does-not-exist", 404,
            {"object": "error", "message": "The model `qwen2.5-7b` does not exist.",
             "type": "NotFoundError", "param": None, "code": 404},
            "bad_model", S, "older vLLM: the same _check_model answer in the flat ErrorResponse"),
    Capture("ollama-model-not-found", 404,
            {"error": {"message": "model 'llama3.3' not found", "type": "not_found_error",
                       "param": None, "code": None}},
            "bad_model", S, "ollama server/routes.go ChatHandler + openai/openai.go NewError "
            "(fb30760, 2026)"),
    Capture("ollama-try-pulling", 404,
            {"error": {"message": "model 'llama3' not found, try pulling it first",
                       "type": "not_found_error", "param": None, "code": None}},
            "bad_model", S, "ollama 453f572f8 (2024-02, first OpenAI compatibility): "
            "server/routes.go ChatHandler + openai/openai.go NewError"),
    Capture("ollama-schedule-not-found", 404,
            {"error": {"message": "model \"llama3\" not found, try pulling it first",
                       "type": "not_found_error", "param": None, "code": None}},
            "bad_model", S, "ollama server/routes.go handleScheduleError (fb30760, 2026)"),
    Capture("llama-cpp-router-model-not-found", 400,
            {"error": {"code": 400, "message": "model 'qwen3-8b' not found",
                       "type": "invalid_request_error"}},
            "bad_model", S, "llama.cpp tools/server router_validate_model "
            "(ERROR_TYPE_INVALID_REQUEST)"),
    Capture("dashscope-model-not-supported", 400, "model 'qwen-pluss' is not supported",
            "bad_model", S, "https://www.alibabacloud.com/help/en/model-studio/coding-plan-faq "
            "(the message; the body's shape is not given)", dashscope=True),
    Capture("dashscope-model-not-found", 404,
            {"code": "ModelNotFound", "message": "Model can not be found.", "request_id": "r"},
            "bad_model", S, f"{DASHSCOPE_DOCS} (404 ModelNotFound)", dashscope=True),
    Capture("litellm-upstream-404", 404,
            {"error": {"message": "litellm.NotFoundError: NotFoundError: OpenAIException - The "
                       "model `gpt-5` does not exist or you do not have access to it.\n\n"
                       "LiteLLM: model group 'nomodel' failed with the error above. No fallback "
                       "was attempted.", "type": "invalid_request_error", "param": None,
                       "code": "404"}},
            "bad_model", S, "LiteLLM 1.108.7 capture, upstream answering 404 model_not_found"),
    # ------------------------------------------------------------ throttling: wait, try again
    Capture("groq-tokens-per-minute", 429,
            '{"error":{"message":"Rate limit reached for model gemma2-9b-it in organization ... '
            "service tier on_demand on tokens per minute (TPM): Limit 15000, Used 11972, "
            "Requested 4351. Please try again in 5.289s. Visit "
            'https://console.groq.com/docs/rate-limits for more information.","type":"tokens",'
            '"code":"rate_limit_exceeded"}}',
            "rate_limited", R, "https://github.com/Aider-AI/aider/issues/3265"),
    Capture("litellm-key-rpm", 429,
            '{"error":{"message":"Rate limit exceeded for api_key: 703eb1a04b05a6f9b78414ea4c18b2b'
            "3a1d9e2d408eff2816eb8ab02132c992a. Limit type: requests. Current limit: 2, "
            'Remaining: 0. Limit resets at: 2026-12-02 01:14:15 UTC","type":"throttling_error",'
            '"param":null,"code":"429"}}',
            "rate_limited", R, "LiteLLM 1.108.7 capture: a key with rpm_limit=2, third call",
            headers={"retry-after": "60", "rate_limit_type": "requests",
                     "reset_at": "2026-12-02 01:14:15 UTC", "x-litellm-key-rpm-limit": "2"}),
    Capture("litellm-no-deployments", 429,
            {"error": {"message": "litellm.RateLimitError: No deployments available for "
                       "selected model. Passed model=ok. Deployments={'fab320acb0fbabb9f72de2c5"
                       "ea74f1b885d3c427bfbd26fc28d6afebc8793b95': {'current_tpm': 6, "
                       "'tpm_limit': 100000, 'current_rpm': 1, 'rpm_limit': 2}}\n\nLiteLLM: "
                       "model group 'ok' failed with the error above. No fallback was "
                       "attempted.", "type": "throttling_error", "param": None, "code": "429"}},
            "rate_limited", R, "LiteLLM 1.108.7 capture: deployment rpm: 2, usage-based routing",
            headers={"llm_provider-retry-after": "60"}),
    Capture("litellm-upstream-429", 429,
            {"error": {"message": "litellm.RateLimitError: RateLimitError: OpenAIException - "
                       "Rate limit reached for gpt-4o-mini in organization org-x on requests "
                       "per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s."
                       "\n\nLiteLLM: model group 'slow' failed with the error above. No "
                       "fallback was attempted.", "type": "throttling_error", "param": None,
                       "code": "429"}},
            "rate_limited", R, "LiteLLM 1.108.7 capture, upstream 429 with retry-after: 20",
            headers={"llm_provider-retry-after": "20", "x-ratelimit-limit-requests": "3",
                     "x-ratelimit-remaining-requests": "0",
                     "llm_provider-x-ratelimit-reset-requests": "20s"}),
    Capture("dashscope-rate-quota", 429,
            {"code": "Throttling.RateQuota", "message": "Requests rate limit exceeded, please "
             "try again later.", "request_id": "r"},
            "rate_limited", R, "https://github.com/langgenius/dify/issues/12142 (DashScope "
            "native API)", dashscope=True),
    Capture("litellm-timeout", 408,
            {"error": {"message": "litellm.Timeout: APITimeoutError - Request timed out. "
                       "Error_str: Request timed out. - timeout value=1.0, time taken=1.01 "
                       "seconds\n\nDeployment Info: request_timeout: None\ntimeout: 1.0\n\n"
                       "LiteLLM: model group 'sleep' failed with the error above. No fallback "
                       "was attempted.", "type": "invalid_request_error", "param": None,
                       "code": "408"}},
            "timeout", R, "LiteLLM 1.108.7 capture: deployment timeout 1 s, upstream 5 s"),
    Capture("conflict-no-body", 409, "",
            "conflict", R, "no body captured: OpenAI is reported to answer 409 when a model is "
            "overloaded (https://github.com/ellie-assist/ellie/issues/26)"),
    Capture("litellm-500-plain", 500, "Internal Server Error",
            "server_error", R, "LiteLLM 1.108.7 capture: no key sent, proxy installed without "
            "the prisma package (starlette's plain-text 500)"),
    Capture("llama-cpp-loading-model", 503,
            {"error": {"code": 503, "message": "Loading model", "type": "unavailable_error"}},
            "server_error", R, "llama.cpp tools/server middleware_server_state "
            "(ERROR_TYPE_UNAVAILABLE)"),
    # ----------------------------------------------------- the job is too long: fail the job
    Capture("openai-context-length-exceeded", 400,
            '{"error":{"message":"This model\'s maximum context length is 4097 tokens. However, '
            'your messages resulted in 4294 tokens. Please reduce the length of the messages.",'
            '"type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}}',
            "context_too_long", P, "https://github.com/chathub-dev/chathub/issues/126"),
    Capture("llama-cpp-exceed-context-size", 400,
            {"error": {"code": 400, "message": "request (4293 tokens) exceeds the available "
                       "context size (4096 tokens), try increasing it",
                       "type": "exceed_context_size_error", "n_prompt_tokens": 4293,
                       "n_ctx": 4096}},
            "context_too_long", P, "llama.cpp tools/server server-context.cpp send_error("
            "ERROR_TYPE_EXCEED_CONTEXT_SIZE) + server_task_result_error::to_json"),
    Capture("llama-cpp-old-context-message", 400,
            {"error": {"code": 400, "message": "the request exceeds the available context size. "
                       "try increasing the n_ctx option or use a larger context size model",
                       "type": "exceed_context_size_error", "n_prompt_tokens": 5120,
                       "n_ctx": 4096}},
            "context_too_long", P, "an earlier llama.cpp wording, as recorded by a project "
            "that copied the response body"),
    Capture("vllm-input-too-long", 400,
            {"error": {"message": "This model's maximum context length is 4096 tokens. However, "
                       "your request has 5000 input tokens. Please reduce the length of the "
                       "input messages.", "type": "BadRequestError", "param": "input_tokens",
                       "code": 400}},
            "context_too_long", P, "vllm/entrypoints/openai/engine/serving.py _validate_input"),
    Capture("vllm-max-tokens-too-large", 400,
            '{"error":{"message":"\'max_tokens\' or \'max_completion_tokens\' is too large: 8000. '
            "This model's maximum context length is 4096 tokens and your request has 2778 input "
            'tokens (8000 > 4096 - 2778). None","type":"BadRequestError","param":null,"code":400}}',
            "context_too_long", P, "https://github.com/andrewcho-dev/opsconductor-ng "
            "vLLM_transition/TOKEN_LIMIT_FIX.md"),
    Capture("vllm-flat-context", 400,
            {"object": "error", "message": "This model's maximum context length is 8192 tokens. "
             "However, you requested 8203 tokens (7691 in the messages, 512 in the completion). "
             "Please reduce the length of the messages or completion.",
             "type": "BadRequestError", "param": None, "code": 400},
            "context_too_long", P, "https://github.com/ruipeterpan/specreason/issues/4 (the "
            "message) in older vLLM's flat ErrorResponse"),
    Capture("litellm-context-window", 400,
            {"error": {"message": "litellm.ContextWindowExceededError: litellm.BadRequestError: "
                       "ContextWindowExceededError: OpenAIException - request (9000 tokens) "
                       "exceeds the available context size (8192 tokens), try increasing it\n"
                       "model=llamactx. context_window_fallbacks=None. fallbacks=None.\n\nSet "
                       "'context_window_fallback' - https://docs.litellm.ai/docs/routing#"
                       "fallbacks\n\nLiteLLM: model group 'llamactx' failed with the error "
                       "above. No fallback was attempted.", "type": "invalid_request_error",
                       "param": None, "code": "400"}},
            "context_too_long", P, "LiteLLM 1.108.7 capture, upstream answering llama.cpp's "
            "exceed_context_size_error"),
    Capture("dashscope-input-length", 400,
            {"code": "InvalidParameter", "message": "Range of input length should be [1, 30720]",
             "request_id": "r"},
            "context_too_long", P, "https://www.alibabacloud.com/help/en/model-studio/"
            "coding-plan-faq", dashscope=True),
    Capture("nginx-413", 413,
            "<html>\r\n<head><title>413 Request Entity Too Large</title></head>\r\n<body>\r\n"
            "<center><h1>413 Request Entity Too Large</h1></center>\r\n<hr><center>nginx</center>"
            "\r\n</body>\r\n</html>\r\n",
            "context_too_long", P, "nginx src/http/ngx_http_special_response.c, in front of a "
            "local server with a small client_max_body_size"),
    Capture("dashscope-data-inspection", 400,
            {"error": {"code": "data_inspection_failed", "param": None, "message": "Input data "
                       "may contain inappropriate content.", "type": "data_inspection_failed"},
             "id": "chatcmpl-deab386b-2562-9a7b-b8fa-0ba9385a5c28",
             "request_id": "deab386b-2562-9a7b-b8fa-0ba9385a5c28"},
            "content_filter", P, "https://github.com/camel-ai/owl/issues/432", dashscope=True),
    Capture("openai-unrecognized-argument", 400,
            {"error": {"message": "Unrecognized request argument supplied: top_k",
                       "type": "invalid_request_error", "param": None, "code": None}},
            "bad_request", P,
            "https://github.com/xlinx/sd-webui-decadetw-auto-prompt-llm/issues/29"),
]


def _as_sent(capture: Capture) -> str:
    body = capture.body
    return body if isinstance(body, str) else json.dumps(body)


@pytest.mark.parametrize("capture", CAPTURES, ids=[c.name for c in CAPTURES])
def test_each_real_answer_is_classified(capture: Capture) -> None:
    error = classify_http(capture.status, _as_sent(capture), capture.headers,
                          dashscope=capture.dashscope, model="m")
    assert (error.kind, error.error_class) == (capture.kind, capture.error_class), capture.source
    assert error.message[0].isupper()
    if capture.kind == "context_too_long":
        assert 'Lower "Part size"' in error.message  # the advice that fixes it
    if capture.error_class == S:
        assert "resume the queue" in error.message


def test_every_row_of_the_table_has_a_real_answer() -> None:
    used = {find_row(c.status, parse_error_body(_as_sent(c)), dashscope=c.dashscope)
            for c in CAPTURES}
    missing = [(row.kind, row.why) for row in ROWS if row not in used]
    assert not missing
    assert FALLBACK not in used


def test_dashscope_words_are_a_rate_quota_only_on_dashscope_or_with_its_link() -> None:
    # OpenAI's code without DashScope's link: the money ran out, wherever it is said.
    bare = {"error": {"code": "insufficient_quota", "type": "insufficient_quota",
                      "message": "You exceeded your current quota, please check your plan and "
                      "billing details."}}
    assert classify_http(429, bare).kind == "quota"
    assert classify_http(429, bare, dashscope=True).kind == "rate_limited"


def test_a_429_passed_on_by_litellm_keeps_the_upstreams_wait() -> None:
    capture = next(c for c in CAPTURES if c.name == "litellm-upstream-429")
    error = classify_http(capture.status, _as_sent(capture), capture.headers)
    assert error.retry_after == 20.0
    assert error.headers["llm_provider-x-ratelimit-reset-requests"] == "20s"  # for the pacer
    litellm_own = next(c for c in CAPTURES if c.name == "litellm-key-rpm")
    assert classify_http(429, _as_sent(litellm_own), litellm_own.headers).retry_after == 60.0


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"retry-after": "20"}, 20.0),
        ({"Retry-After-Ms": "1500"}, 1.5),  # OpenAI's SDKs read this one first
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),
        ({"llm_provider-retry-after": "20"}, 20.0),  # LiteLLM forwarding an upstream's 429
        ({"llm_provider-retry-after-ms": "800"}, 0.8),
        ({"retry-after": "60", "llm_provider-retry-after": "20"}, 60.0),  # the proxy's own first
        ({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, 100.0),
        ({"retry-after": "soon"}, None),
        ({}, None),
    ],
)
def test_retry_after_forms(headers: dict[str, str], seconds: float | None) -> None:
    now = 1445412480.0 - 100.0  # 100 s before the date above
    assert parse_retry_after(headers, now=now) == seconds


def test_a_permanent_or_paused_error_carries_no_wait() -> None:
    error = classify_http(401, {"error": {"message": "Invalid API Key"}}, {"retry-after": "5"})
    assert error.error_class == S and error.retry_after is None


# ----------------------------------------------------------- DashScope rules need DashScope


def test_dashscope_rules_follow_the_url_not_the_preset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PACELINE_API_BASE", raising=False)
    key = "sk-test-0000"
    plain = make_openai_analyzer(Settings(provider="openai", preset="dashscope-intl"),
                                 api_key=key)
    assert plain.dashscope  # the preset's own URL is DashScope
    gateway = Settings(provider="openai", preset="dashscope-intl",
                       api_base="http://127.0.0.1:4000/v1")
    assert not make_openai_analyzer(gateway, api_key=key).dashscope
    from_env = apply_env(Settings(provider="openai", preset="dashscope"),
                         {"PACELINE_API_BASE": "https://litellm.example.org/v1"})
    assert not make_openai_analyzer(from_env, api_key=key).dashscope
    custom = Settings(provider="openai", preset="custom",
                      api_base="https://dashscope-intl.aliyuncs.com/compatible-mode/v1")
    assert make_openai_analyzer(custom, api_key=key).dashscope
