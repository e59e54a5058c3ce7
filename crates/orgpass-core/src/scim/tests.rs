//! The filter grammar: RFC 7644 §3.4.2.2's own examples, what Okta and Entra ID send,
//! precedence, PATCH paths, and every kind of malformed input.

use super::filter::*;

fn path(name: &str, sub: Option<&str>) -> AttrPath {
    AttrPath {
        uri: None,
        name: name.into(),
        sub: sub.map(Into::into),
    }
}

fn eq(name: &str, value: &str) -> Filter {
    Filter::Attr(AttrExpr {
        path: path(name, None),
        test: Test::Compare(CompareOp::Eq, Value::String(value.into())),
    })
}

#[test]
fn what_okta_and_entra_send() {
    // Okta, before it creates a user; Entra ID the same, and for groups.
    assert_eq!(
        parse(r#"userName eq "ada@example.com""#).unwrap(),
        eq("userName", "ada@example.com")
    );
    assert_eq!(
        parse(r#"externalId eq "00u1ab""#).unwrap(),
        eq("externalId", "00u1ab")
    );
    assert_eq!(
        parse(r#"displayName eq "Engineering""#).unwrap(),
        eq("displayName", "Engineering")
    );
    // Operators are case-insensitive.
    assert_eq!(parse(r#"userName EQ "a""#).unwrap(), eq("userName", "a"));
    // A value path with a sub-attribute test after it.
    assert_eq!(
        parse(r#"emails[type eq "work"].value eq "ada@example.com""#).unwrap(),
        Filter::Value {
            attr: path("emails", None),
            filter: Box::new(eq("type", "work")),
            then: Some(AttrExpr {
                path: path("value", None),
                test: Test::Compare(CompareOp::Eq, Value::String("ada@example.com".into())),
            }),
        }
    );
}

#[test]
fn the_rfcs_examples_parse() {
    for f in [
        r#"userName Eq "john""#,
        r#"name.familyName co "O'Malley""#,
        r#"userName sw "J""#,
        r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J""#,
        "title pr",
        r#"meta.lastModified gt "2011-05-13T04:42:34Z""#,
        r#"meta.lastModified ge "2011-05-13T04:42:34Z""#,
        r#"meta.lastModified lt "2011-05-13T04:42:34Z""#,
        r#"meta.lastModified le "2011-05-13T04:42:34Z""#,
        r#"title pr and userType eq "Employee""#,
        r#"title pr or userType eq "Intern""#,
        r#"schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User""#,
        r#"userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")"#,
        r#"userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")"#,
        r#"userType eq "Employee" and (emails.type eq "work")"#,
        r#"userType eq "Employee" and emails[type eq "work" and value co "@example.com"]"#,
        r#"emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]"#,
        "active eq true",
        "active eq False",
        "manager eq null",
        "meta.version gt 3",
        "x eq -1.5e3",
    ] {
        parse(f).unwrap_or_else(|e| panic!("{f}: {e}"));
    }
}

#[test]
fn uris_end_at_their_last_colon() {
    let Filter::Attr(a) =
        parse(r#"urn:ietf:params:scim:schemas:core:2.0:User:name.givenName eq "Ada""#).unwrap()
    else {
        panic!()
    };
    assert_eq!(
        a.path.uri.as_deref(),
        Some("urn:ietf:params:scim:schemas:core:2.0:User")
    );
    assert!(a.path.is(
        "urn:ietf:params:scim:schemas:core:2.0:User",
        "NAME",
        Some("givenname")
    ));
    assert!(!a.path.is(
        "urn:ietf:params:scim:schemas:core:2.0:Group",
        "name",
        Some("givenName")
    ));
    assert!(path("userName", None).is("urn:whatever", "username", None));
}

#[test]
fn not_binds_tightest_then_and_then_or() {
    let a = || Box::new(eq("a", "1"));
    let b = || Box::new(eq("b", "2"));
    let c = || Box::new(eq("c", "3"));
    assert_eq!(
        parse(r#"a eq "1" or b eq "2" and c eq "3""#).unwrap(),
        Filter::Or(a(), Box::new(Filter::And(b(), c())))
    );
    assert_eq!(
        parse(r#"(a eq "1" or b eq "2") and c eq "3""#).unwrap(),
        Filter::And(Box::new(Filter::Or(a(), b())), c())
    );
    assert_eq!(
        parse(r#"not (a eq "1") and b eq "2""#).unwrap(),
        Filter::And(Box::new(Filter::Not(a())), b())
    );
    // An attribute whose name starts like an operator is an attribute.
    assert_eq!(parse(r#"notes eq "x""#).unwrap(), eq("notes", "x"));
    assert_eq!(parse(r#"orders eq "x""#).unwrap(), eq("orders", "x"));
}

#[test]
fn strings_are_json_strings() {
    assert_eq!(
        parse(r#"a eq "say \"hi\" \u00e9""#).unwrap(),
        eq("a", "say \"hi\" é")
    );
    assert_eq!(
        parse(r#"a eq "x] or b eq (""#).unwrap(),
        eq("a", "x] or b eq (")
    );
    let Filter::Attr(AttrExpr {
        test: Test::Compare(_, v),
        ..
    }) = parse("a gt 10").unwrap()
    else {
        panic!()
    };
    assert_eq!(v, Value::Number(10.into()));
}

#[test]
fn patch_paths() {
    assert_eq!(
        parse_path("name.givenName").unwrap(),
        PatchPath {
            attr: path("name", Some("givenName")),
            filter: None,
            sub: None
        }
    );
    assert_eq!(
        parse_path(r#"members[value eq "2819c223"]"#).unwrap(),
        PatchPath {
            attr: path("members", None),
            filter: Some(eq("value", "2819c223")),
            sub: None
        }
    );
    assert_eq!(
        parse_path(r#"emails[type eq "work"].value"#).unwrap(),
        PatchPath {
            attr: path("emails", None),
            filter: Some(eq("type", "work")),
            sub: Some("value".into()),
        }
    );
    assert_eq!(
        parse_path("urn:ietf:params:scim:schemas:core:2.0:User:active")
            .unwrap()
            .attr
            .name,
        "active"
    );
    for bad in [
        "",
        "members[",
        "members[value eq \"x\"",
        "name.givenName[value pr]",
        "a b",
        "1abc",
        "members[value eq \"x\"].",
    ] {
        assert!(parse_path(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn malformed_filters_are_refused_with_where() {
    for (bad, at) in [
        ("", 0),
        ("userName", 8),
        ("userName eq", 11),
        (r#"userName eq "unterminated"#, 12),
        (r#"userName is "x""#, 9),
        (r#"userName eq "x" and"#, 16),
        (r#"userName eq "x" nor b pr"#, 16),
        (r#"(userName eq "x""#, 16),
        (r#"emails[type eq "work""#, 21),
        (r#"userName eq x"#, 12),
        (r#"userName eq "x" )"#, 16),
        (r#"userName eq"x""#, 11),
        (r#"name.givenName[type pr]"#, 14),
        (r#"a eq "\q""#, 5),
        ("a eq 1.2.3", 5),
        ("not a pr", 4),
    ] {
        let e = parse(bad).expect_err(bad);
        assert_eq!(e.at, at, "{bad:?}: {e}");
    }
}

#[test]
fn hostile_filters_cost_bounded_work() {
    let deep = format!(
        "{}a pr{}",
        "(".repeat(MAX_DEPTH + 1),
        ")".repeat(MAX_DEPTH + 1)
    );
    assert_eq!(
        parse(&deep).unwrap_err().message,
        "the filter nests too deeply"
    );
    let nested_not = format!("{}a pr{}", "not (".repeat(40), ")".repeat(40));
    assert!(parse(&nested_not).is_err());
    let ok = format!(
        "{}a pr{}",
        "(".repeat(MAX_DEPTH - 1),
        ")".repeat(MAX_DEPTH - 1)
    );
    assert!(parse(&ok).is_ok());
    let long = format!("a eq \"{}\"", "x".repeat(MAX_LENGTH));
    assert_eq!(parse(&long).unwrap_err().message, "the filter is too long");
    // A long flat chain is a loop, not recursion: fine up to the length limit.
    let chain = vec!["a pr"; 200].join(" and ");
    assert!(parse(&chain).is_ok());
}

mod users {
    use serde_json::json;

    use crate::scim::{
        filter::CompareOp,
        users::{user_filter, InputError, UserAttr as A, UserFilter as F, UserInput},
    };

    #[test]
    fn filters_resolve_to_typed_user_attributes() {
        assert_eq!(
            user_filter(r#"userName eq "Ada@Example.COM""#).unwrap(),
            F::Text(A::UserName, CompareOp::Eq, "ada@example.com".into())
        );
        // externalId is case-exact: kept as written.
        assert_eq!(
            user_filter(r#"externalId eq "00uAbC""#).unwrap(),
            F::Text(A::ExternalId, CompareOp::Eq, "00uAbC".into())
        );
        assert_eq!(
            user_filter(r#"emails[type eq "work"].value eq "a@b.example""#).unwrap(),
            F::And(
                Box::new(F::Text(A::EmailType, CompareOp::Eq, "work".into())),
                Box::new(F::Text(A::Email, CompareOp::Eq, "a@b.example".into()))
            )
        );
        assert_eq!(
            user_filter(r#"urn:ietf:params:scim:schemas:core:2.0:User:name.givenName sw "A""#)
                .unwrap(),
            F::Text(A::GivenName, CompareOp::Sw, "a".into())
        );
        assert_eq!(
            user_filter(r#"active eq "False""#).unwrap(),
            F::Bool(A::Active, true, false)
        );
        assert_eq!(
            user_filter("active ne true").unwrap(),
            F::Bool(A::Active, false, true)
        );
        assert_eq!(
            user_filter("externalId eq null").unwrap(),
            F::Not(Box::new(F::Present(A::ExternalId)))
        );
        assert!(matches!(
            user_filter(r#"meta.lastModified gt "2026-01-01T00:00:00Z""#).unwrap(),
            F::Time(A::LastModified, CompareOp::Gt, _)
        ));
    }

    #[test]
    fn filters_that_do_not_fit_are_refused() {
        for bad in [
            r#"nickName eq "x""#,
            r#"name.middleName eq "x""#,
            r#"name.formatted eq "x""#,
            "active gt true",
            r#"active eq "maybe""#,
            "userName eq 3",
            r#"meta.created co "2026""#,
            r#"meta.created gt "yesterday""#,
            r#"groups[value eq "x"]"#,
            r#"emails[nickname eq "x"]"#,
            r#"emails[type eq "work"].display eq "x""#,
            "userName gt null",
            "userName eq",
        ] {
            assert!(user_filter(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn user_bodies_as_okta_and_entra_send_them() {
        let okta = json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "Ada.Lovelace@Example.com",
            "name": {"givenName": "Ada", "familyName": "Lovelace"},
            "emails": [{"primary": true, "value": "Ada.Lovelace@Example.com", "type": "work"}],
            "displayName": "Ada Lovelace",
            "locale": "en-US",
            "externalId": "00u1abcd",
            "groups": [],
            "password": "ignored",
            "active": true
        });
        let u = UserInput::parse(&okta).unwrap();
        assert_eq!(u.email.as_str(), "ada.lovelace@example.com");
        assert_eq!(u.name, "Ada Lovelace");
        assert_eq!(u.given_name.as_deref(), Some("Ada"));
        assert_eq!(u.external_id.as_deref(), Some("00u1abcd"));
        assert_eq!(u.display_name.as_deref(), Some("Ada Lovelace"));
        assert_eq!(u.active, Some(true));

        // Entra: attribute names in other cases, booleans as strings, no displayName.
        let entra = json!({
            "UserName": "grace@example.com",
            "Active": "False",
            "name": {"GivenName": "Grace", "familyName": "Hopper"},
            "externalId": "5f2c"
        });
        let u = UserInput::parse(&entra).unwrap();
        assert_eq!(u.name, "Grace Hopper");
        assert_eq!(u.display_name, None);
        assert_eq!(u.active, Some(false));

        // Only a userName: the name is its local part.
        let bare = UserInput::parse(&json!({"userName": "x@example.com"})).unwrap();
        assert_eq!(
            (bare.name.as_str(), bare.active),
            ("x", None),
            "active unassigned"
        );
    }

    #[test]
    fn impossible_user_bodies_are_refused() {
        assert!(matches!(
            UserInput::parse(&json!([1])),
            Err(InputError::Syntax(_))
        ));
        for bad in [
            json!({}),
            json!({"userName": ""}),
            json!({"userName": "not-an-email"}),
            json!({"userName": 7}),
            json!({"userName": "a@example.com", "active": "yes"}),
            json!({"userName": "a@example.com", "name": "Ada"}),
            json!({"userName": "a@example.com", "externalId": "x".repeat(300)}),
        ] {
            assert!(
                matches!(UserInput::parse(&bad), Err(InputError::Value(_))),
                "{bad}"
            );
        }
    }
}

mod patch {
    use serde_json::{json, Map, Value};

    use crate::scim::{
        patch::{apply, PatchError},
        users::USER_SHAPE,
    };

    const IGNORED: &crate::scim::patch::Shape = &USER_SHAPE;

    fn ada() -> Map<String, Value> {
        json!({
            "userName": "ada@example.com",
            "name": {"formatted": "Ada Lovelace", "givenName": "Ada"},
            "displayName": "Ada Lovelace",
            "externalId": "00u1",
            "active": true
        })
        .as_object()
        .unwrap()
        .clone()
    }

    fn patched(ops: Value) -> Result<Value, PatchError> {
        let mut r = ada();
        apply(
            &mut r,
            &json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops}),
            IGNORED,
        )?;
        Ok(Value::Object(r))
    }

    #[test]
    fn okta_deactivates_with_a_replace_without_path() {
        let r = patched(json!([{"op": "replace", "value": {"active": false}}])).unwrap();
        assert_eq!(r["active"], false);
        assert_eq!(r["userName"], "ada@example.com");
    }

    #[test]
    fn entra_writes_capitalised_ops_dotted_paths_and_string_booleans() {
        let r = patched(json!([
            {"op": "Replace", "path": "active", "value": "False"},
            {"op": "Replace", "path": "name.givenName", "value": "Augusta"},
            {"op": "Add", "path": "name.familyName", "value": "King"},
            {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "x@example.com"},
            {"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "R&D"},
            {"op": "Remove", "path": "externalId"},
            {"op": "replace", "value": {"name.formatted": "Augusta King", "DISPLAYNAME": "Augusta King"}}
        ]))
        .unwrap();
        assert_eq!(r["active"], "False");
        assert_eq!(
            r["name"],
            json!({"formatted": "Augusta King", "givenName": "Augusta", "familyName": "King"})
        );
        assert_eq!(
            r["displayName"], "Augusta King",
            "the existing key, whatever the case sent"
        );
        assert!(r.get("externalId").is_none());
        assert!(r.get("emails").is_none(), "emails follow userName: ignored");
        assert!(r.get("DISPLAYNAME").is_none());
    }

    #[test]
    fn read_only_attributes_in_a_value_are_ignored() {
        let r =
            patched(json!([{"op": "replace", "value": {"id": "x", "meta": {}, "active": false}}]))
                .unwrap();
        assert_eq!(r["active"], false);
        assert!(r.get("id").is_none() && r.get("meta").is_none());
    }

    #[test]
    fn impossible_patches_are_refused() {
        for (ops, want) in [
            (
                json!([{"op": "move", "path": "active", "value": true}]),
                "syntax",
            ),
            (json!([{"op": "remove"}]), "noTarget"),
            (
                json!([{"op": "replace", "path": "id", "value": "x"}]),
                "mutability",
            ),
            (
                json!([{"op": "replace", "path": "meta.created", "value": "x"}]),
                "mutability",
            ),
            (json!([{"op": "replace", "path": "active"}]), "syntax"),
            (json!([{"op": "replace", "value": true}]), "syntax"),
            (
                json!([{"op": "replace", "path": "members[value eq \"x\"]", "value": 1}]),
                "path",
            ),
            (
                json!([{"op": "replace", "path": "name..x", "value": 1}]),
                "path",
            ),
            (
                json!([{"op": "replace", "path": "displayName.x", "value": 1}]),
                "path",
            ),
            (json!([]), "syntax"),
            (
                json!(vec![
                    json!({"op": "add", "path": "title", "value": "x"});
                    101
                ]),
                "syntax",
            ),
        ] {
            let got = match patched(ops.clone()) {
                Err(PatchError::Syntax(_)) => "syntax",
                Err(PatchError::NoTarget(_)) => "noTarget",
                Err(PatchError::Mutability(_)) => "mutability",
                Err(PatchError::Path(_)) => "path",
                Ok(_) => "ok",
            };
            assert_eq!(got, want, "{ops}");
        }
        let mut r = ada();
        assert!(matches!(
            apply(&mut r, &json!({"operations": "x"}), IGNORED),
            Err(PatchError::Syntax(_))
        ));
        assert!(matches!(
            apply(&mut r, &json!([]), IGNORED),
            Err(PatchError::Syntax(_))
        ));
    }
}

mod groups {
    use serde_json::{json, Map, Value};

    use crate::scim::{
        filter::CompareOp,
        groups::{group_filter, GroupAttr as A, GroupFilter as F, GroupInput, GROUP_SHAPE},
        patch::{apply, PatchError},
        users::InputError,
    };

    #[test]
    fn filters_resolve_to_typed_group_attributes() {
        assert_eq!(
            group_filter(r#"displayName eq "Engineering""#).unwrap(),
            F::Text(A::DisplayName, CompareOp::Eq, "engineering".into())
        );
        // Entra ID asks whether someone is a member with a value filter.
        assert_eq!(
            group_filter(r#"id eq "grp_1" and members[value eq "acct_A"]"#).unwrap(),
            F::And(
                Box::new(F::Text(A::Id, CompareOp::Eq, "grp_1".into())),
                Box::new(F::Text(A::Member, CompareOp::Eq, "acct_A".into()))
            )
        );
        assert_eq!(
            group_filter(r#"members.value eq "acct_A""#).unwrap(),
            F::Text(A::Member, CompareOp::Eq, "acct_A".into())
        );
        assert_eq!(
            group_filter(r#"externalId eq "00gX""#).unwrap(),
            F::Text(A::ExternalId, CompareOp::Eq, "00gX".into())
        );
        for bad in [
            r#"userName eq "x""#,
            r#"members[display eq "x"]"#,
            r#"emails[value eq "x"]"#,
            r#"members[value eq "x"].display eq "y""#,
            "displayName gt 3",
        ] {
            assert!(group_filter(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn group_bodies_as_okta_and_entra_send_them() {
        let okta = json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": "Engineering",
            "members": [{"value": "acct_1", "display": "ada@example.com"}, {"value": "acct_1"}]
        });
        let g = GroupInput::parse(&okta).unwrap();
        assert_eq!(g.name, "Engineering");
        assert_eq!(g.member_ids, ["acct_1"], "each member once");
        let entra = json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
            "displayName": "Group1DisplayName",
            "members": []
        });
        let g = GroupInput::parse(&entra).unwrap();
        assert_eq!(
            g.external_id.as_deref(),
            Some("8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159")
        );
        for bad in [
            json!({}),
            json!({"displayName": ""}),
            json!({"displayName": "x", "members": {"value": "a"}}),
            json!({"displayName": "x", "members": [{"display": "a"}]}),
            json!({"displayName": "x", "members": [{"value": 3}]}),
        ] {
            assert!(
                matches!(GroupInput::parse(&bad), Err(InputError::Value(_))),
                "{bad}"
            );
        }
        assert!(matches!(
            GroupInput::parse(&json!([])),
            Err(InputError::Syntax(_))
        ));
    }

    fn engineering() -> Map<String, Value> {
        json!({
            "displayName": "Engineering",
            "members": [{"value": "a"}, {"value": "b"}, {"value": "c"}]
        })
        .as_object()
        .unwrap()
        .clone()
    }

    fn patched(ops: Value) -> Result<Value, PatchError> {
        let mut r = engineering();
        apply(&mut r, &json!({"Operations": ops}), &GROUP_SHAPE)?;
        Ok(Value::Object(r))
    }

    fn values(r: &Value) -> Vec<&str> {
        // Absent members are none.
        r["members"]
            .as_array()
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .map(|m| m["value"].as_str().unwrap())
            .collect()
    }

    #[test]
    fn okta_renames_adds_and_removes_members() {
        // Okta's rename carries the Group's id, which is read-only: ignored.
        let r = patched(json!([{"op": "replace", "value": {"id": "grp_1", "displayName": "Eng"}}]))
            .unwrap();
        assert_eq!(r["displayName"], "Eng");
        let r = patched(json!([
            {"op": "add", "path": "members", "value": [{"value": "d", "display": "d@x.example"}, {"value": "a"}]}
        ]))
        .unwrap();
        assert_eq!(values(&r), ["a", "b", "c", "d"], "add appends what is new");
        let r = patched(json!([{"op": "remove", "path": "members[value eq \"b\"]"}])).unwrap();
        assert_eq!(values(&r), ["a", "c"]);
        let r = patched(json!([{"op": "remove", "path": "members[value eq \"zz\"]"}])).unwrap();
        assert_eq!(
            values(&r),
            ["a", "b", "c"],
            "removing an absent member changes nothing"
        );
        let r = patched(json!([{"op": "replace", "path": "members", "value": [{"value": "z"}]}]))
            .unwrap();
        assert_eq!(values(&r), ["z"]);
    }

    #[test]
    fn entra_removes_members_with_a_value_list() {
        let r = patched(json!([
            {"op": "Remove", "path": "members", "value": [{"$ref": null, "value": "a"}, {"value": "c"}]},
            {"op": "Add", "path": "members", "value": [{"$ref": null, "value": "e"}]},
            {"op": "Replace", "path": "externalId", "value": "ext-1"}
        ]))
        .unwrap();
        assert_eq!(values(&r), ["b", "e"]);
        assert_eq!(r["externalId"], "ext-1");
        let r = patched(json!([{"op": "remove", "path": "members"}])).unwrap();
        assert_eq!(values(&r), Vec::<&str>::new());
        // Without a path, an add appends to members too.
        let r = patched(json!([{"op": "add", "value": {"members": [{"value": "f"}]}}])).unwrap();
        assert_eq!(values(&r), ["a", "b", "c", "f"]);
        let r = patched(json!([
            {"op": "remove", "path": "members[value eq \"a\" or value eq \"b\"]"}
        ]))
        .unwrap();
        assert_eq!(values(&r), ["c"]);
    }

    #[test]
    fn impossible_group_patches_are_refused() {
        for (ops, want) in [
            (
                json!([{"op": "replace", "path": "members[value eq \"zz\"]", "value": {"value": "y"}}]),
                "noTarget",
            ),
            (
                json!([{"op": "add", "path": "members", "value": "a"}]),
                "syntax",
            ),
            (
                json!([{"op": "add", "path": "members", "value": [1]}]),
                "syntax",
            ),
            (
                json!([{"op": "remove", "path": "members[display.x eq \"a\"]"}]),
                "path",
            ),
            (
                json!([{"op": "remove", "path": "displayName[value eq \"a\"]"}]),
                "path",
            ),
            (
                json!([{"op": "replace", "path": "id", "value": "x"}]),
                "mutability",
            ),
        ] {
            let got = match patched(ops.clone()) {
                Err(PatchError::Syntax(_)) => "syntax",
                Err(PatchError::NoTarget(_)) => "noTarget",
                Err(PatchError::Mutability(_)) => "mutability",
                Err(PatchError::Path(_)) => "path",
                Ok(_) => "ok",
            };
            assert_eq!(got, want, "{ops}");
        }
    }
}
