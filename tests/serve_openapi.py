#!/usr/bin/env python3
"""serve_openapi.py -- walk every path of the OpenAPI document and check the
server's answers against it.

    serve_openapi.py BASE_URL OPENAPI.json [TOKEN]

For each path and its GET operation: the document the server serves at
/api/v1/openapi.json is the committed file; a request with the example of
every required parameter (and, once more, with the example of every
parameter) gets 200 with the declared content type, and a JSON body holds
every required member of the declared schema ($ref and allOf resolved,
nested objects and array items too) with the declared types.  Each
operation that declares a 400 answers an unknown parameter with 400 and
the Error schema.  Prints one line per check on failure and a summary line.
"""
import json
import sys
import urllib.error
import urllib.parse
import urllib.request

base, doc_path = sys.argv[1], sys.argv[2]
token = sys.argv[3] if len(sys.argv) > 3 else None
with open(doc_path, encoding="utf-8") as f:
    doc = json.load(f)
problems = []
checks = 0

TYPES = {"object": dict, "array": list, "string": str, "integer": int, "number": (int, float),
         "boolean": bool}


def resolve(node):
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/"), ref
        node = doc
        for part in ref[2:].split("/"):
            node = node[part]
    return node


def check_schema(value, schema, where):
    schema = resolve(schema)
    for sub in schema.get("allOf", []):
        check_schema(value, sub, where)
    t = schema.get("type")
    if t:
        ok = isinstance(value, TYPES[t]) and not (t in ("integer", "number") and isinstance(value, bool))
        if not ok:
            problems.append("%s: expected %s, got %r" % (where, t, value))
            return
    if "enum" in schema and value not in schema["enum"]:
        problems.append("%s: %r not in %r" % (where, value, schema["enum"]))
    if isinstance(value, dict):
        for name in schema.get("required", []):
            if name not in value:
                problems.append("%s: required member %r missing" % (where, name))
        for name, sub in schema.get("properties", {}).items():
            if name in value:
                check_schema(value[name], sub, "%s.%s" % (where, name))
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            for name, v in value.items():
                if name not in schema.get("properties", {}):
                    check_schema(v, extra, "%s.%s" % (where, name))
    if isinstance(value, list):
        if "minItems" in schema and len(value) < schema["minItems"]:
            problems.append("%s: fewer than %d items" % (where, schema["minItems"]))
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            problems.append("%s: more than %d items" % (where, schema["maxItems"]))
        if "items" in schema:
            for i, v in enumerate(value[:50]):
                check_schema(v, schema["items"], "%s[%d]" % (where, i))


def get(path, query, headers=None, stream=False):
    url = base + path + ("?" + urllib.parse.urlencode(query) if query else "")
    req = urllib.request.Request(url, headers=dict(headers or {}))
    if token:
        req.add_header("Authorization", "Bearer " + token)
    try:
        r = urllib.request.urlopen(req, timeout=20)
        code = r.status
    except urllib.error.HTTPError as e:
        r, code = e, e.code
    ctype = r.headers.get("Content-Type", "")
    body = r.readline() if stream else r.read()
    r.close()
    return code, ctype, body


def check_answer(path, op, query, label):
    global checks
    checks += 1
    stream = path.endswith("/stream")
    code, ctype, body = get(path, query, stream=stream)
    where = "GET %s%s" % (path, label)
    resp = op["responses"].get(str(code))
    if code != 200 or resp is None:
        problems.append("%s: HTTP %d: %s" % (where, code, body[:200]))
        return
    content = resolve(resp).get("content", {})
    declared = [t for t in content if ctype.startswith(t)]
    if not declared:
        problems.append("%s: content type %r not declared (%s)" % (where, ctype, list(content)))
        return
    if declared[0] == "application/json":
        try:
            value = json.loads(body)
        except ValueError as e:
            problems.append("%s: not JSON: %s" % (where, e))
            return
        check_schema(value, content[declared[0]]["schema"], where)
    elif stream and not body.startswith(b"retry:"):
        problems.append("%s: the event stream does not start with retry: %r" % (where, body[:40]))


served = json.loads(get("/api/v1/openapi.json", None)[2])
if served != doc:
    problems.append("/api/v1/openapi.json is not the committed serve/openapi.json")

for path, item in doc["paths"].items():
    op = item.get("get")
    if not op:
        problems.append("%s: no GET operation" % path)
        continue
    params = [resolve(p) for p in op.get("parameters", []) if resolve(p)["in"] == "query"]
    required = {p["name"]: str(p["example"]) for p in params if p.get("required")}
    everything = {p["name"]: str(p["example"]) for p in params}
    check_answer(path, op, required, " (required parameters)")
    if everything != required:
        check_answer(path, op, everything, " (every parameter)")
    if "400" in op["responses"]:
        checks += 1
        q = dict(required)
        q["no_such_parameter"] = "1"
        code, ctype, body = get(path, q)
        if code != 400:
            problems.append("GET %s?no_such_parameter: HTTP %d, not 400" % (path, code))
        else:
            check_schema(json.loads(body), {"$ref": "#/components/schemas/Error"},
                         "GET %s (400)" % path)
            if json.loads(body)["error"].get("parameter") != "no_such_parameter":
                problems.append("GET %s (400): the error does not name the parameter" % path)

for p in problems:
    print(p)
print("%d paths, %d checks, %d problems" % (len(doc["paths"]), checks, len(problems)))
sys.exit(1 if problems else 0)
