use super::*;
use serde_json::json;

fn schemas(doc: Value) -> Value {
    json!({"openapi": "3.0.3", "paths": {}, "components": {"schemas": doc}})
}

#[test]
fn openapi_version_downgrades_3_1_and_refuses_others() {
    let mut doc = json!({"openapi": "3.1.0", "webhooks": {}, "info": {"license": {"name": "MIT", "identifier": "MIT"}}});
    openapi_version(&mut doc).unwrap();
    assert_eq!(
        doc,
        json!({"openapi": "3.0.3", "info": {"license": {"name": "MIT"}}})
    );
    let mut doc = json!({"openapi": "2.0"});
    let err = openapi_version(&mut doc).unwrap_err();
    assert_eq!(err.pointer, "/openapi");
    assert!(err.message.contains("2.0"));
    assert!(openapi_version(&mut json!({})).is_err());
}

#[test]
fn json_schema_2020_keywords_become_3_0() {
    let mut doc = schemas(json!({
        "A": {"type": ["string", "null"], "examples": ["x", "y"]},
        "B": {"anyOf": [{"$ref": "#/components/schemas/A"}, {"type": "null"}]},
        "C": {"const": "v", "$schema": "x"},
        "D": {"type": "integer", "exclusiveMinimum": 0},
        "E": {"type": ["string", "integer"]},
        "F": {"anyOf": [{"type": "integer", "minimum": 1}, {"type": "null"}]}
    }));
    json_schema_2020_to_openapi_3_0(&mut doc).unwrap();
    let s = &doc["components"]["schemas"];
    assert_eq!(
        s["A"],
        json!({"type": "string", "nullable": true, "example": "x"})
    );
    assert_eq!(
        s["B"],
        json!({"nullable": true, "allOf": [{"$ref": "#/components/schemas/A"}]})
    );
    assert_eq!(s["C"], json!({"enum": ["v"]}));
    assert_eq!(
        s["D"],
        json!({"type": "integer", "exclusiveMinimum": true, "minimum": 0})
    );
    assert_eq!(
        s["E"],
        json!({"anyOf": [{"type": "string"}, {"type": "integer"}]})
    );
    assert_eq!(
        s["F"],
        json!({"nullable": true, "type": "integer", "minimum": 1})
    );
}

#[test]
fn unsupported_2020_keywords_are_reported_with_their_pointer() {
    let mut doc = schemas(json!({"T": {"prefixItems": [{"type": "string"}]}}));
    let err = json_schema_2020_to_openapi_3_0(&mut doc).unwrap_err();
    assert_eq!(err.pointer, "/components/schemas/T/prefixItems");
}

#[test]
fn single_all_of_keeps_default_and_drops_annotations() {
    let mut doc = schemas(json!({
        "G": {"type": "string", "enum": ["a"]},
        "WithDefault": {"allOf": [{"$ref": "#/components/schemas/G"}], "default": "a", "title": "g"},
        "Plain": {"allOf": [{"$ref": "#/components/schemas/G"}], "title": "g", "description": "d"},
        "Sibling": {"$ref": "#/components/schemas/G", "description": "ignored in 3.0"},
        "Inline": {"allOf": [{"type": "string"}], "title": "t"}
    }));
    single_all_of_and_ref_siblings(&mut doc).unwrap();
    let s = &doc["components"]["schemas"];
    assert_eq!(
        s["WithDefault"],
        json!({"default": "a", "allOf": [{"$ref": "#/components/schemas/G"}]})
    );
    assert_eq!(s["Plain"], json!({"$ref": "#/components/schemas/G"}));
    assert_eq!(s["Sibling"], json!({"$ref": "#/components/schemas/G"}));
    assert_eq!(s["Inline"], json!({"title": "t", "type": "string"}));
}

#[test]
fn integer_float_bounds_round_inward() {
    let mut doc = schemas(json!({
        "A": {"type": "integer", "minimum": 600.0, "maximum": 10.5},
        "N": {"type": "number", "minimum": 0.5}
    }));
    integer_bounds(&mut doc).unwrap();
    let s = &doc["components"]["schemas"];
    assert_eq!(
        s["A"],
        json!({"type": "integer", "minimum": 600, "maximum": 10})
    );
    assert_eq!(s["N"]["minimum"], json!(0.5));
    assert!(s["A"]["minimum"].is_i64());
}

#[test]
fn scalar_any_of_widens_to_one_scalar() {
    let mut doc = schemas(json!({"Code": {"title": "code", "anyOf": [
        {"type": "string", "minLength": 6, "maxLength": 6, "pattern": "^[0-9]+$", "description": "6 digits"},
        {"type": "string", "minLength": 12, "maxLength": 12, "pattern": "^[0-9a-f]+$", "description": "Recovery code"}
    ]}, "Mixed": {"anyOf": [{"type": "string"}, {"type": "integer"}]}}));
    scalar_any_of(&mut doc).unwrap();
    let s = &doc["components"]["schemas"];
    assert_eq!(
        s["Code"],
        json!({"title": "code", "description": "One of: 6 digits; Recovery code.", "type": "string", "minLength": 6, "maxLength": 12})
    );
    assert!(
        s["Mixed"]["anyOf"].is_array(),
        "different types stay a union"
    );
}

#[test]
fn exclusive_any_of_becomes_one_of() {
    let mut doc = schemas(json!({
        "T": {"type": "object", "required": ["access_token"], "properties": {"access_token": {"type": "string"}}},
        "C": {"type": "object", "required": ["challenge"], "properties": {"challenge": {"type": "string"}}},
        "Both": {"anyOf": [{"$ref": "#/components/schemas/T"}, {"$ref": "#/components/schemas/C"}]},
        "Overlap": {"anyOf": [{"$ref": "#/components/schemas/T"}, {"$ref": "#/components/schemas/T2"}]},
        "T2": {"type": "object", "properties": {"access_token": {"type": "string"}}}
    }));
    exclusive_any_of(&mut doc).unwrap();
    let s = &doc["components"]["schemas"];
    assert!(s["Both"]["oneOf"].is_array());
    assert!(
        s["Overlap"]["anyOf"].is_array(),
        "T2 accepts T's values: not exclusive"
    );
}

#[test]
fn one_media_type_prefers_json_and_refuses_multipart() {
    let mut doc = json!({"paths": {"/x": {"post": {"requestBody": {"content": {
        "application/x-www-form-urlencoded": {"schema": {}, "encoding": {"a": {"style": "form"}}},
        "application/json": {"schema": {}}
    }}}}}});
    one_media_type_per_body(&mut doc).unwrap();
    let content = &doc["paths"]["/x"]["post"]["requestBody"]["content"];
    assert_eq!(
        content.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["application/json"]
    );

    let mut doc = json!({"paths": {"/x": {"post": {"requestBody": {"content": {
        "application/x-www-form-urlencoded": {"schema": {}, "encoding": {"a": {"style": "form"}}}}}}}}});
    one_media_type_per_body(&mut doc).unwrap();
    assert!(
        doc.pointer(
            "/paths/~1x/post/requestBody/content/application~1x-www-form-urlencoded/encoding"
        )
        .is_none()
    );

    let mut doc = json!({"paths": {"/x": {"post": {"requestBody": {"content": {"multipart/form-data": {"schema": {}}}}}}}});
    let err = one_media_type_per_body(&mut doc).unwrap_err();
    assert_eq!(
        err.pointer,
        "/paths/~1x/post/requestBody/content/multipart~1form-data"
    );
}

#[test]
fn inline_success_responses_are_hoisted_by_operation_name() {
    let mut doc = json!({"paths": {"/token": {"post": {"operationId": "createToken", "responses": {"200": {"content": {
        "application/json": {"schema": {"oneOf": [{"type": "string"}], "title": "Response Createtoken"}}}}}}}}});
    hoist_inline_responses(&mut doc).unwrap();
    assert_eq!(
        doc.pointer("/paths/~1token/post/responses/200/content/application~1json/schema")
            .unwrap(),
        &json!({"$ref": "#/components/schemas/CreateTokenResponse"})
    );
    assert_eq!(
        doc["components"]["schemas"]["CreateTokenResponse"]["title"],
        "CreateTokenResponse"
    );
}

fn error_doc() -> Value {
    let response = |name: &str| json!({"content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{name}")}}}});
    json!({
        "paths": {
            "/a": {"post": {"operationId": "a", "responses": {"200": {}, "400": response("Bad"), "401": response("Unauth"), "422": response("Invalid")}}},
            "/b": {"post": {"operationId": "b", "responses": {"400": response("Bad"), "401": response("Unauth"), "422": response("Invalid")}}}
        },
        "components": {"schemas": {
            "Bad": {"type": "object", "required": ["detail"], "properties": {"detail": {"type": "array", "items": {"$ref": "#/components/schemas/BadMsg"}}}},
            "BadMsg": {"type": "object", "required": ["msg"], "properties": {"msg": {"type": "string"}, "loc": {"type": "array", "items": {"type": "string"}}, "type": {"type": "string", "default": "bad_request"}}},
            "Unauth": {"type": "object", "required": ["detail"], "properties": {"detail": {"type": "array", "items": {"$ref": "#/components/schemas/UnauthMsg"}}}},
            "UnauthMsg": {"type": "object", "required": ["msg"], "properties": {"msg": {"type": "string"}, "code": {"type": "integer"}, "type": {"type": "string", "default": "unauthorized"}}},
            "Invalid": {"type": "object", "properties": {"detail": {"type": "array", "items": {"$ref": "#/components/schemas/InvalidMsg"}}}},
            "InvalidMsg": {"type": "object", "required": ["loc", "msg", "type"], "properties": {"loc": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}}, "msg": {"type": "string"}, "type": {"type": "string"}}}
        }}
    })
}

#[test]
fn error_responses_merge_into_one_schema_keeping_every_field() {
    let mut doc = error_doc();
    merge_error_responses(&mut doc).unwrap();
    for op in ["/paths/~1a/post", "/paths/~1b/post"] {
        for status in ["400", "401", "422"] {
            let schema = doc
                .pointer(&format!(
                    "{op}/responses/{status}/content/application~1json/schema"
                ))
                .unwrap();
            assert_eq!(schema, &json!({"$ref": "#/components/schemas/HttpError"}));
        }
    }
    let merged = &doc["components"]["schemas"]["HttpError"];
    assert!(
        merged.get("required").is_none(),
        "422 does not require detail"
    );
    assert_eq!(
        merged["properties"]["detail"]["items"],
        json!({"$ref": "#/components/schemas/HttpErrorDetail"})
    );
    let item = &doc["components"]["schemas"]["HttpErrorDetail"];
    assert_eq!(item["required"], json!(["msg"]));
    let props = item["properties"].as_object().unwrap();
    assert_eq!(
        props.keys().collect::<Vec<_>>(),
        ["msg", "loc", "type", "code"]
    );
    assert_eq!(
        props["type"],
        json!({"type": "string"}),
        "differing defaults are dropped"
    );
    assert_eq!(
        props["loc"]["items"]["anyOf"],
        json!([{"type": "string"}, {"type": "integer"}])
    );
}

#[test]
fn operations_with_other_error_sets_get_their_own_component() {
    let mut doc = error_doc();
    doc["paths"]["/b"]["post"]["responses"]
        .as_object_mut()
        .unwrap()
        .remove("422");
    merge_error_responses(&mut doc).unwrap();
    assert!(doc["components"]["schemas"]["BError"].is_object());
}

#[test]
fn secret_properties_refer_to_the_secret_schema() {
    let mut doc = schemas(json!({
        "Body": {"type": "object", "properties": {"password": {"type": "string"}, "username": {"type": "string"}, "code": {"type": "integer"}}}
    }));
    secret_properties(&mut doc).unwrap();
    let props = &doc["components"]["schemas"]["Body"]["properties"];
    assert_eq!(
        props["password"],
        json!({"$ref": "#/components/schemas/SecretString"})
    );
    assert_eq!(props["username"], json!({"type": "string"}));
    assert_eq!(
        props["code"],
        json!({"type": "integer"}),
        "only strings can be secrets"
    );
    assert_eq!(
        doc["components"]["schemas"]["SecretString"]["format"],
        "password"
    );
}

#[test]
fn missing_operation_ids_and_odd_types_are_reported() {
    let mut doc = json!({"paths": {"/x": {"get": {}}}});
    assert_eq!(
        supported_constructs(&mut doc).unwrap_err().pointer,
        "/paths/~1x/get"
    );
    let mut doc = schemas(json!({"A": {"type": "null"}}));
    assert_eq!(
        supported_constructs(&mut doc).unwrap_err().pointer,
        "/components/schemas/A/type"
    );
}

#[test]
fn normalize_reports_dangling_refs_with_file_and_pointer() {
    let doc = json!({"openapi": "3.1.0", "components": {"schemas": {"A": {"$ref": "#/components/schemas/Nope"}}}});
    let err = normalize(&doc, Path::new("openapi/x.json")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "openapi/x.json#/components/schemas/A/$ref: dangling reference `#/components/schemas/Nope`: nothing at that pointer"
    );
}

#[test]
fn boolean_schemas_become_empty_or_are_reported() {
    let mut doc = schemas(json!({"T": {"type": "object", "properties": {"any": true}}}));
    boolean_schemas(&mut doc).unwrap();
    assert_eq!(
        doc["components"]["schemas"]["T"]["properties"]["any"],
        json!({})
    );
    let mut doc = schemas(json!({"T": {"type": "object", "properties": {"none": false}}}));
    assert_eq!(
        boolean_schemas(&mut doc).unwrap_err().pointer,
        "/components/schemas/T/properties/none"
    );
}

#[test]
fn default_response_becomes_4xx_and_5xx_beside_a_success() {
    let err = json!({"description": "e", "content": {"application/json": {"schema": {"type": "object"}}}});
    let mut doc = json!({"paths": {
        "/a": {"get": {"responses": {"200": {"description": "ok"}, "5XX": {"description": "kept"}, "default": err}}},
        "/b": {"get": {"responses": {"default": err}}}
    }});
    default_response_as_errors(&mut doc).unwrap();
    let a = doc["paths"]["/a"]["get"]["responses"].as_object().unwrap();
    assert_eq!(a.keys().collect::<Vec<_>>(), ["200", "5XX", "4XX"]);
    assert_eq!(a["4XX"], err);
    assert_eq!(a["5XX"]["description"], "kept");
    assert!(
        doc["paths"]["/b"]["get"]["responses"]["default"].is_object(),
        "the only answer stays"
    );
}

#[test]
fn error_responses_keep_one_body_kind() {
    let json_body =
        json!({"description": "j", "content": {"application/json; charset=utf-8": {"schema": {}}}});
    let html = json!({"description": "h", "content": {"text/html": {}}});
    let empty = json!({"description": "n"});
    let mut doc = json!({"paths": {
        "/a": {"get": {"responses": {"200": empty, "404": empty, "422": json_body, "500": html}}},
        "/b": {"get": {"responses": {"404": empty, "500": html}}}
    }});
    one_error_body_kind(&mut doc).unwrap();
    let keys = |p: &str| {
        doc["paths"][p]["get"]["responses"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_eq!(keys("/a"), ["200", "422"], "success statuses are untouched");
    assert_eq!(keys("/b"), ["500"]);
}

#[test]
fn success_responses_must_share_one_body() {
    let body =
        |s: Value| json!({"description": "", "content": {"application/json": {"schema": s}}});
    let mut doc = json!({"paths": {"/a": {"get": {"responses": {
        "200": body(json!({"$ref": "#/components/schemas/A"})),
        "201": body(json!({"$ref": "#/components/schemas/A"})),
        "202": {"description": "accepted"}
    }}}}});
    let err = one_success_body_kind(&mut doc).unwrap_err();
    assert_eq!(err.pointer, "/paths/~1a/get/responses/202");
    let mut doc = json!({"paths": {"/a": {"get": {"responses": {
        "200": {"description": "", "content": {"application/json": {"encoding": {"x": {}}}}}}}}}});
    let err = one_success_body_kind(&mut doc).unwrap_err();
    assert_eq!(
        err.pointer,
        "/paths/~1a/get/responses/200/content/application~1json/encoding"
    );
    let mut doc = json!({"paths": {"/a": {"get": {"responses": {
        "200": {"description": "", "content": {"application/json": {}}}}}}}});
    one_success_body_kind(&mut doc).unwrap();
    assert_eq!(
        doc["paths"]["/a"]["get"]["responses"]["200"]["content"]["application/json"]["schema"],
        json!({})
    );
}
