import FATNNJobs
import Testing

@Suite struct WhereExpressionTests {
    @Test func theIssuesExampleParsesWithAndBindingTighterThanOr() throws {
        let e = try WhereExpression.parse("quantizer.kind in (fatnn, tnn) and model = resnet20 and test_acc > 0.9")
        #expect(e == .and(.and(.member(field: "quantizer.kind", values: [.text("fatnn"), .text("tnn")], position: 1),
                               .comparison(field: "model", op: .equal, value: .text("resnet20"), position: 36)),
                          .comparison(field: "test_acc", op: .greater, value: .number(0.9), position: 57)))
        let p = try WhereExpression.parse("a.b = 1 or c.d = 2 and e.f = 3")
        guard case .or(_, .and) = p else { Issue.record("and must bind tighter than or: \(p)"); return }
    }

    @Test func operatorsParenthesesNotAndLiterals() throws {
        let e = try WhereExpression.parse("not (lr <= 0.05 OR seed != 3) and packed_exact = true and sweep = 'my sweep' and dataset = fashion-mnist")
        #expect(e.fields.map(\.name) == ["lr", "seed", "packed_exact", "sweep", "dataset"])
        for op in ComparisonOperator.allCases {
            guard case .comparison(_, let o, _, _) = try WhereExpression.parse("x.y \(op.rawValue) -1.5e-3") else { Issue.record("\(op)"); continue }
            #expect(o == op)
        }
    }

    @Test func errorsPointAtTheOffendingToken() {
        func column(_ text: String) -> (Int, String)? {
            do { _ = try WhereExpression.parse(text); return nil } catch { return (error.column, error.message) }
        }
        #expect(column("model = ")?.0 == 9)
        #expect(column("model == resnet20")?.1.contains("not an operator") == true)
        #expect(column("model resnet20")?.0 == 7)
        #expect(column("(model = a")?.1.contains("')'") == true)
        #expect(column("model = a b = c")?.0 == 11)
        #expect(column("seed in (1, 2")?.0 == 14)
        #expect(column("x = 'open")?.0 == 5)
        #expect(column("model = a and")?.0 == 14)
        #expect(column("model ~ a")?.0 == 7)
        let e = (try? WhereExpression.parse("model = a b = c")) == nil
        #expect(e)
        do { _ = try WhereExpression.parse("model = a b") } catch {
            #expect(error.description.contains("model = a b\n") && error.description.hasSuffix("          ^"))
        }
    }

    @Test func queryRoundTripsThroughURLItems() throws {
        let q = LeaderboardQuery(filter: "model = mlp", sort: "val_acc:asc", columns: ["model", "n"], group: false, limit: 7, sweep: "s")
        #expect(try LeaderboardQuery.from(items: q.queryItems) == q)
        #expect(throws: QueryError.self) { _ = try LeaderboardQuery.from(items: [("limit", "0")]) }
        #expect(throws: QueryError.self) { _ = try LeaderboardQuery.from(items: [("order", "x")]) }
    }

    @Test func tablesRenderInEveryFormat() {
        let t = QueryTable(columns: ["model", "n", "test_acc_mean"], rows: [[.string("mlp, big"), .number(3), .number(0.8612)], [.string("cnn"), .number(1), .null]])
        #expect(t.render(.csv) == "model,n,test_acc_mean\n\"mlp, big\",3,0.8612\ncnn,1,\n")
        #expect(t.render(.jsonl) == "{\"model\":\"mlp, big\",\"n\":3,\"test_acc_mean\":0.8612}\n{\"model\":\"cnn\",\"n\":1,\"test_acc_mean\":null}\n")
        #expect(t.render(.table).contains("86.12%") && t.render(.table).contains("-"))
        #expect(t.render(.markdown).hasPrefix("| model | n | test_acc_mean |\n|---|---|---|\n| mlp, big | 3 | 86.12% |"))
        #expect(t.render(.json).contains("\"test_acc_mean\" : 0.8612"))
    }
}
