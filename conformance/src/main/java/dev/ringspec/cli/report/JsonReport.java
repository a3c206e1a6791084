package dev.ringspec.cli.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ringspec.lockstep.DivergenceCatalogue;
import java.util.List;
import java.util.Map;

/**
 * The report for tools: {@code report.json}, schema {@value CheckReport#SCHEMA}. Its shape (absent means null):
 *
 * <pre>
 * { "schema": "ringspec-check-report/1", "command": "check --out DIR", "started": ISO-8601, "seconds": 12.3,
 *   "status": 0, "outcome": "ok",                       // the exit status; see ringspec --help
 *   "catalogueFile": "conformance/src/main/resources/divergence-catalogue.json",
 *   "kernels": [ {
 *     "kernel": "native", "status": 0, "outcome": "ok", "reason": null, "release": "6.18.0", "profile": "6.18",
 *     "bootSeconds": null,
 *     "caps": { ... },                                   // as ringspec caps --json writes it
 *     "totals": { "replays": 60, "runs": 1000, "steps": 200000, "seconds": 9.1, "stopped": false },
 *     "areas": [ { "name": "replays" | "generated runs" | "invariants" | "classic BPF",
 *                  "outcome": "passed" | "failed" | "error" | "skipped", "tests": 60, "summary": "...",
 *                  "failures": [ "k0-new-1" ] } ],     // anchors of newDivergences
 *     "replayFiles": [ "name.json" ], "badReplays": [ "sentence" ],
 *     "coverage": { "labels": { "cq wraps": 12 }, "rules": { "CQE_SKIP_FILLER": 3 },
 *                   "labelsNeverReached": [ ], "rulesNeverReached": [ ] },
 *     "catalogueHits": [ { "id": "...", "runs": 3, "firstSeed": 17, "replays": 2, "link": "#cat-ID" } ],
 *     "newDivergences": [ { "anchor": "k0-new-1", "title": "...", "seed": 5, "fromReplay": false,
 *         "replayFile": "/abs/path.json", "stable": true, "signature": "Enter:CQEs", "field": "CQEs", "step": 3,
 *         "referenceValue": "...", "subjectValue": "...", "steps": [ "  0  setup ..." ], "shrink": "...",
 *         "diff": "side-by-side ring state", "cReproducer": "...", "junitBody": "..." } ],
 *     "newInvariantViolations": [ "sentence" ],
 *     "bpfStatus": 0 } ],
 *   "catalogue": [ { "id", "signature", "kernelVersions", "observed", "intended", "evidence", "replay",
 *                    "wrongSide", "why" } ] }          // only the entries the check hit
 * </pre>
 */
final class JsonReport {
    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private JsonReport() {
    }

    static String render(CheckReport report, List<KernelView> views) {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("schema", CheckReport.SCHEMA);
        root.put("command", report.command());
        root.put("started", report.started().toString());
        root.put("seconds", Math.round(report.seconds() * 10) / 10.0);
        root.put("status", report.status());
        root.put("outcome", report.outcome());
        root.put("catalogueFile", CheckReport.CATALOGUE_FILE);
        ArrayNode kernels = root.putArray("kernels");
        for (KernelView v : views) {
            kernels.add(kernel(v));
        }
        ArrayNode catalogue = root.putArray("catalogue");
        for (DivergenceCatalogue.Entry e : Reports.entriesHit(report, views)) {
            ObjectNode n = catalogue.addObject();
            n.put("id", e.id());
            n.put("link", "#" + Reports.catalogueAnchor(e.id()));
            n.put("signature", e.signature());
            n.put("kernelVersions", e.kernelVersions());
            n.put("observed", e.observed());
            n.put("intended", e.intended());
            n.put("evidence", e.evidence());
            n.put("replay", e.replay());
            n.put("wrongSide", e.wrongSide());
            n.put("why", e.why());
        }
        try {
            return MAPPER.writeValueAsString(root) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static ObjectNode kernel(KernelView v) {
        CheckReport.Kernel k = v.kernel;
        ObjectNode n = MAPPER.createObjectNode();
        n.put("kernel", k.kernel());
        n.put("status", k.status());
        n.put("outcome", k.outcome());
        n.put("reason", k.reason());
        n.put("release", k.release());
        n.put("profile", k.profile());
        if (k.bootSeconds() == null) {
            n.putNull("bootSeconds");
        } else {
            n.put("bootSeconds", k.bootSeconds());
        }
        n.set("caps", k.caps());
        ObjectNode totals = n.putObject("totals");
        totals.put("replays", v.replays);
        totals.put("runs", v.runs);
        totals.put("steps", v.steps);
        totals.put("seconds", Math.round(v.seconds * 10) / 10.0);
        totals.put("stopped", v.stopped);
        ArrayNode areas = n.putArray("areas");
        for (KernelView.Area a : v.areas) {
            ObjectNode an = areas.addObject();
            an.put("name", a.name());
            an.put("outcome", a.outcome());
            an.put("tests", a.tests());
            an.put("summary", a.summary());
            ArrayNode failures = an.putArray("failures");
            a.failures().forEach(f -> failures.add(f.anchor()));
        }
        strings(n.putArray("replayFiles"), v.replayFiles);
        strings(n.putArray("badReplays"), v.badReplays);
        ObjectNode coverage = n.putObject("coverage");
        counts(coverage.putObject("labels"), v.labels);
        counts(coverage.putObject("rules"), v.rules);
        strings(coverage.putArray("labelsNeverReached"), v.labelsNeverReached());
        strings(coverage.putArray("rulesNeverReached"), v.rulesNeverReached());
        ArrayNode hits = n.putArray("catalogueHits");
        for (KernelView.Hit h : v.hits) {
            ObjectNode hn = hits.addObject();
            hn.put("id", h.id());
            hn.put("runs", h.runs());
            hn.put("firstSeed", h.firstSeed());
            hn.put("replays", h.replays());
            hn.put("link", "#" + Reports.catalogueAnchor(h.id()));
        }
        ArrayNode found = n.putArray("newDivergences");
        for (KernelView.NewFinding f : v.findings) {
            found.add(MAPPER.valueToTree(f));
        }
        strings(n.putArray("newInvariantViolations"), v.newInvariants);
        if (k.bpfStatus() == null) {
            n.putNull("bpfStatus");
        } else {
            n.put("bpfStatus", k.bpfStatus());
        }
        return n;
    }

    private static void strings(ArrayNode array, List<String> values) {
        values.forEach(array::add);
    }

    private static void counts(ObjectNode node, Map<String, Long> counts) {
        counts.forEach(node::put);
    }
}
