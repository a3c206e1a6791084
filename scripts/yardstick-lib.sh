# yardstick-lib.sh: how scripts/liburing-yardstick judges one run of one liburing test, and the tables it writes.
# Sourced by the script (and by its --self-test); defines functions only.
#
# An outcome is one of: pass, fail (a non-zero exit status), timeout, crash (killed by a signal) and skip.
# liburing 2.3's tests skip in two ways: exit 77 (T_EXIT_SKIP in test/helpers.h), or exit 0 after printing a line
# such as "send not supported, skipping" or "Timeout not supported, ignored". Many also treat -EINVAL as "this
# kernel lacks the feature" and exit 0 silently; such a path shows only in what the host tool served, so a hosted
# pass is a real pass only when its report shows no refusal the kernel would not have made (yard_report_refusals).

# Lines a test prints when it leaves its real work undone (liburing 2.3's test sources, case-insensitive):
# "skipping", "skipped", "Skip", "not supported" (also in every "..., ignored" line), "not available",
# "doesn't support" (Device doesn't support polled IO), "not there" (FEAT_SUBMIT_STABLE not there), "not flagging"
# (Needs root, not flagging as an error).
YARD_SKIP_LINE='skip|not supported|not available|doesn'"'"'t support|not there|not flagging'

# Lines the host tool adds to the program's output (its one-line summary on stderr); never compared.
YARD_HOST_LINE='^ringspec host[: ]'

# yard_last_line FILE: the last non-blank line of FILE, printable ASCII only, at most 160 characters.
yard_last_line() {
    grep -v '^[[:space:]]*$' "$1" 2>/dev/null | grep -Ev "$YARD_HOST_LINE" | tail -n 1 | yard_clean
}

# yard_clean: standard input as one line of printable ASCII, at most 160 characters.
yard_clean() {
    LC_ALL=C tr -c '\040-\176' ' ' | cut -c 1-160 | sed 's/[[:space:]]*$//'
}

# yard_skip_lines FILE: the lines of FILE that say a test skipped its work.
yard_skip_lines() {
    grep -Ei -- "$YARD_SKIP_LINE" "$1" 2>/dev/null | grep -Ev "$YARD_HOST_LINE" || true
}

# yard_signal STATUS: the signal's name when STATUS is 128+N for a signal N (as the shell reports a killed child).
yard_signal() {
    local status=$1
    if (( status > 128 && status <= 128 + 64 )); then
        local name
        name=$(kill -l $((status - 128)) 2>/dev/null) || return 1
        echo "SIG$name"
    else
        return 1
    fi
}

# yard_classify STATUS SECONDS OUTFILE TIMEOUT: prints "OUTCOME<TAB>REASON" for one run.
# STATUS is what `timeout -s INT -k 10 TIMEOUT` returned: 124 when it stopped the test, 137 when it had to kill it.
yard_classify() {
    local status=$1 seconds=$2 out=$3 timeout=$4 signal skip last
    last=$(yard_last_line "$out")
    last=${last:+: $last}
    if [[ $status == 124 ]] || { [[ $status == 137 ]] && awk -v s="$seconds" -v t="$timeout" 'BEGIN{exit !(s >= t)}'; }; then
        printf 'timeout\tno exit within %s s\n' "$timeout"
    elif signal=$(yard_signal "$status"); then
        printf 'crash\tkilled by %s%s\n' "$signal" "$last"
    elif [[ $status == 77 ]]; then
        printf 'skip\texit 77%s\n' "$last"
    elif [[ $status != 0 ]]; then
        printf 'fail\texit %s%s\n' "$status" "$last"
    elif skip=$(yard_skip_lines "$out" | head -n 1 | yard_clean) && [[ -n $skip ]]; then
        printf 'skip\texit 0 after "%s"\n' "$skip"
    else
        printf 'pass\t\n'
    fi
}

# yard_classify_hosted STATUS SECONDS OUTFILE TIMEOUT NATIVE_OUTFILE REPORT: like yard_classify for a hosted run,
# judged against the native run's output and the host tool's report (REPORT may be absent). A skip line the native
# run did not print is named as such; a pass whose report shows a refusal the kernel would not have made is a skip.
yard_classify_hosted() {
    local status=$1 seconds=$2 out=$3 timeout=$4 native_out=$5 report=$6 verdict outcome reason line refusals
    verdict=$(yard_classify "$status" "$seconds" "$out" "$timeout")
    outcome=${verdict%%$'\t'*}
    reason=${verdict#*$'\t'}
    if [[ $outcome == skip && $status == 0 ]]; then
        while IFS= read -r line; do
            if ! grep -qxF -- "$line" "$native_out" 2>/dev/null; then
                reason="exit 0 after \"$(printf '%s' "$line" | yard_clean)\" (not printed ${YARD_REFERENCE:+in the }${YARD_REFERENCE:-natively})"
                break
            fi
        done < <(yard_skip_lines "$out")
    fi
    refusals=$(yard_report_refusals "$report")
    if [[ $outcome == pass && -n $refusals ]]; then
        outcome=skip
        reason="exit 0, but not hosted: $refusals"
    elif [[ $outcome == pass ]]; then
        line=$(yard_extra_lines "$out" "$native_out" | head -n 1 | yard_clean)
        [[ -z $line ]] || reason="output differs from native: \"$line\""
    else
        # The first line the native run did not print says more than the last ("Accept[0] got -95" before
        # "test_accept failed").
        line=$(yard_extra_lines "$out" "$native_out" | head -n 1 | yard_clean)
        [[ -z $line || $reason == *"$line"* ]] || reason="$reason (first new line: \"$line\")"
        [[ -z $refusals ]] || reason="$reason; not hosted: $refusals"
    fi
    printf '%s\t%s\n' "$outcome" "$reason"
}

# yard_extra_lines OUTFILE NATIVE_OUTFILE: lines of a hosted run's output that the native run did not print.
yard_extra_lines() {
    grep -Ev "$YARD_HOST_LINE" "$1" 2>/dev/null | grep -vxF -f "$2" 2>/dev/null || true
}

# yard_report_refusals REPORT: what the host tool could not serve, from its per-run report (host-report.md, whose
# findings are a Markdown list: "- not hosted: a setup with SQPOLL (answered -EINVAL)", "- supervisor error in
# syscall 426: ... (answered -ENOSYS)"; pedantic reports and faults injected are not refusals). One line, each
# refusal once, without the "(answered ...)" (or "(...; answered ...)") the report adds, refusals apart by "; " and
# a ';' inside one made a ',' (yard_note_cause splits at "; "); empty when none or when there is no report.
yard_report_refusals() {
    local report=$1
    [[ -n $report && -s $report ]] || return 0
    sed -n -e 's/^- not hosted: //p' -e 's/^- \(supervisor error .*\)/\1/p' "$report" \
        | sed -e 's/ (answered [^)]*)$//' -e 's/; answered [^;)]*)$/)/' -e 's/;/,/g' | sort -u \
        | paste -sd ';' - | sed 's/;/; /g' | yard_clean
}

# yard_json_string TEXT: TEXT as a JSON string (callers pass printable ASCII, see yard_clean).
yard_json_string() {
    local s=$1
    s=${s//\\/\\\\}
    s=${s//\"/\\\"}
    printf '"%s"' "$s"
}

# yard_md_cell TEXT: TEXT for a Markdown table cell.
yard_md_cell() {
    local s=$1
    printf '%s' "${s//|/\\|}"
}

# yard_read_run DIR NAME: sets run_status, run_seconds and run_limit (the timeout it ran under) from
# DIR/NAME.status ("STATUS SECONDS LIMIT"); false if there is none.
yard_read_run() {
    run_status='' run_seconds='' run_limit=''
    [[ -f $1/$2.status ]] || return 1
    read -r run_status run_seconds run_limit < "$1/$2.status"
}

# yard_verdict DIR NAME [NATIVE_DIR]: the verdict on DIR's run of NAME ("OUTCOME<TAB>REASON"), judged against
# NATIVE_DIR's when given (a hosted run). "not run" when DIR has no run of NAME.
yard_verdict() {
    if ! yard_read_run "$1" "$2"; then
        printf 'not run\t\n'
    elif (( $# > 2 )); then
        yard_classify_hosted "$run_status" "$run_seconds" "$1/$2.out" "$run_limit" "$3/$2.out" "$1/$2.report"
    else
        yard_classify "$run_status" "$run_seconds" "$1/$2.out" "$run_limit"
    fi
}

# yard_tables NATIVE_DIR HOSTED_DIR LABEL OUT_PREFIX TEST...: classifies every test's runs and writes OUT_PREFIX.md
# and OUT_PREFIX.json; HOSTED_DIR empty for the native table alone. Prints the totals. The second column is named
# after LABEL's first word (hosted-profile-7.2: hosted; guest-debian-7.2: guest, a native run inside a guest kernel,
# judged as a hosted run is but without a report); YARD_REFERENCE names the first where it is not this kernel's
# native run ("guest debian:7.2" when a guest's run is the reference for a hosted one).
yard_tables() {
    local native_dir=$1 hosted_dir=$2 label=$3 prefix=$4
    shift 4
    local ref=${YARD_REFERENCE:-native} column=${label%%-*}
    column=${column:-hosted}
    local ref_title=${ref^} ref_passes='passes natively' column_passes='passes hosted for real'
    [[ $ref == native ]] || ref_passes="passes in the $ref"
    if [[ $column == guest ]]; then
        column_passes='passes in the guest'
        yard_where='in the guest' yard_no_refusal='in the guest'
    else
        yard_where=$column yard_no_refusal='nothing reported as not hosted'
    fi
    yard_ref_title=$ref_title
    local md=$prefix.md json=$prefix.json name verdict native hosted reason native_reason hosted_reason
    local native_seconds hosted_seconds first=yes
    declare -A native_count=() hosted_count=()
    declare -gA yard_causes=() yard_cause_count=()
    local real=0 native_pass=0
    {
        echo "# liburing ${YARD_VERSION:-} tests: $ref${hosted_dir:+ and $label}"
        echo
        echo "Kernel $(uname -r), $(date -u '+%Y-%m-%d %H:%M UTC'). Seconds are wall-clock time per run."
        echo
        if [[ -n $hosted_dir ]]; then
            echo "| test | $ref | $column | $ref s | $column s | reason |"
            echo "|---|---|---|---:|---:|---|"
        else
            echo "| test | $ref | s | reason |"
            echo "|---|---|---:|---|"
        fi
    } > "$md"
    printf '{\n  "liburing": %s,\n  "kernel": %s,\n  "reference": %s,\n  "label": %s,\n  "tests": [\n' \
        "$(yard_json_string "${YARD_VERSION:-}")" "$(yard_json_string "$(uname -r)")" "$(yard_json_string "$ref")" \
        "$(yard_json_string "${hosted_dir:+$label}")" > "$json"
    for name in "$@"; do
        verdict=$(yard_verdict "$native_dir" "$name")
        yard_read_run "$native_dir" "$name" || true
        native_seconds=$run_seconds
        native=${verdict%%$'\t'*}
        native_reason=${verdict#*$'\t'}
        native_count[$native]=$(( ${native_count[$native]:-0} + 1 ))
        [[ $native != pass ]] || native_pass=$((native_pass + 1))
        hosted='' hosted_reason='' hosted_seconds=''
        if [[ -n $hosted_dir ]]; then
            verdict=$(yard_verdict "$hosted_dir" "$name" "$native_dir")
            yard_read_run "$hosted_dir" "$name" || true
            hosted_seconds=$run_seconds
            hosted=${verdict%%$'\t'*}
            hosted_reason=${verdict#*$'\t'}
            hosted_count[$hosted]=$(( ${hosted_count[$hosted]:-0} + 1 ))
            if [[ $native == pass && $hosted == pass ]]; then
                real=$((real + 1))
            elif [[ $native == pass && $hosted != 'not run' ]]; then
                yard_note_cause "$name" "$hosted" "$hosted_reason"
            fi
            # The hosted reason says why a native pass did not pass hosted; otherwise the native one explains.
            if [[ $native == pass || -z $native_reason ]]; then reason=$hosted_reason
            elif [[ -z $hosted_reason || $hosted_reason == "$native_reason" ]]; then reason="$ref: $native_reason"
            else reason="$ref: $native_reason; $column: $hosted_reason"
            fi
            printf '| %s | %s | %s | %s | %s | %s |\n' "$name" "$native" "$hosted" "$native_seconds" \
                "$hosted_seconds" "$(yard_md_cell "$reason")" >> "$md"
        else
            printf '| %s | %s | %s | %s |\n' "$name" "$native" "$native_seconds" \
                "$(yard_md_cell "$native_reason")" >> "$md"
        fi
        [[ $first == yes ]] || printf ',\n' >> "$json"
        first=no
        printf '    {"test": %s, "native": %s, "native_seconds": %s, "native_reason": %s' \
            "$(yard_json_string "$name")" "$(yard_json_string "$native")" "${native_seconds:-null}" \
            "$(yard_json_string "$native_reason")" >> "$json"
        if [[ -n $hosted_dir ]]; then
            printf ', "hosted": %s, "hosted_seconds": %s, "hosted_reason": %s' "$(yard_json_string "$hosted")" \
                "${hosted_seconds:-null}" "$(yard_json_string "$hosted_reason")" >> "$json"
        fi
        printf '}' >> "$json"
    done
    local totals_native totals_hosted='' outcome
    totals_native=$(for outcome in pass fail skip timeout crash 'not run'; do
        [[ -z ${native_count[$outcome]:-} ]] || printf '%s %s, ' "${native_count[$outcome]}" "$outcome"; done)
    totals_native=${totals_native%, }
    printf '\n  ],\n  "totals": {"tests": %s, "native": {' "$#" >> "$json"
    yard_json_counts native_count >> "$json"
    printf '}' >> "$json"
    {
        echo
        echo "$ref_title: $# tests, $totals_native."
    } >> "$md"
    echo "$ref: $# tests, $totals_native"
    if [[ -n $hosted_dir ]]; then
        totals_hosted=$(for outcome in pass fail skip timeout crash 'not run'; do
            [[ -z ${hosted_count[$outcome]:-} ]] || printf '%s %s, ' "${hosted_count[$outcome]}" "$outcome"; done)
        totals_hosted=${totals_hosted%, }
        printf ', "hosted": {' >> "$json"
        yard_json_counts hosted_count >> "$json"
        printf '}, "passes_native": %s, "passes_hosted_for_real": %s' "$native_pass" "$real" >> "$json"
        {
            echo "${column^} ($label): $totals_hosted."
            echo
            echo "${column_passes^} / $ref_passes: $real / $native_pass$(yard_percent "$real" "$native_pass")."
            yard_causes_md
        } >> "$md"
        echo "$column ($label): $totals_hosted"
        echo "$column_passes / $ref_passes: $real / $native_pass$(yard_percent "$real" "$native_pass")"
    fi
    printf '}\n}\n' >> "$json"
}

# yard_note_cause NAME OUTCOME REASON: files a native pass that did not pass hosted under each thing the host tool
# reported not hosting, or under its outcome where it reported nothing (yard_causes: cause -> tests,
# yard_cause_count: cause -> how many).
yard_note_cause() {
    local name=$1 outcome=$2 reason=$3 cause refused
    if [[ $reason == *"not hosted: "* ]]; then
        refused=${reason#*not hosted: }
        while [[ -n $refused ]]; do
            cause=${refused%%; *}
            yard_causes[$cause]+="${yard_causes[$cause]:+, }$name ($outcome)"
            yard_cause_count[$cause]=$(( ${yard_cause_count[$cause]:-0} + 1 ))
            [[ $refused == *'; '* ]] && refused=${refused#*; } || refused=''
        done
    else
        cause="$outcome, ${yard_no_refusal:-nothing reported as not hosted}"
        yard_causes[$cause]+="${yard_causes[$cause]:+; }$name (${reason:-no reason})"
        yard_cause_count[$cause]=$(( ${yard_cause_count[$cause]:-0} + 1 ))
    fi
}

# yard_causes_md: the causes filed by yard_note_cause as a Markdown list, the most frequent first.
yard_causes_md() {
    (( ${#yard_causes[@]} > 0 )) || return 0
    local cause
    echo
    echo "## ${yard_ref_title:-Native} passes that did not pass ${yard_where:-hosted}, by cause"
    echo
    for cause in "${!yard_causes[@]}"; do
        printf '%s\t- **%s** (%s): %s\n' "${yard_cause_count[$cause]}" "$(yard_md_cell "$cause")" \
            "${yard_cause_count[$cause]}" "$(yard_md_cell "${yard_causes[$cause]}")"
    done | sort -t $'\t' -k1,1nr -k2 | cut -f 2-
}

# yard_json_counts ARRAY_NAME: the outcome counts of an associative array as JSON members.
yard_json_counts() {
    local -n counts=$1
    local outcome first=yes
    for outcome in pass fail skip timeout crash 'not run'; do
        [[ -n ${counts[$outcome]:-} ]] || continue
        [[ $first == yes ]] || printf ', '
        first=no
        printf '%s: %s' "$(yard_json_string "$outcome")" "${counts[$outcome]}"
    done
}

# yard_percent PART WHOLE: " (NN.N%)", or nothing when WHOLE is 0.
yard_percent() {
    (( $2 > 0 )) || return 0
    awk -v p="$1" -v w="$2" 'BEGIN { printf " (%.1f%%)", 100 * p / w }'
}
