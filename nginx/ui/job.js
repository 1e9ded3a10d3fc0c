/* job.js - one batch or session of the history (job.html?kind=batch&id=7): every field,
 * the state timeline with the reason of each change, the whole log in pages (and as one
 * file), a session's statements.  A job that has not ended is followed live: the page
 * looks again as soon as the job's event stream (GET .../events, beyond Livy) tells of a
 * new state or new log lines; without the stream (a user who may not read the log), every
 * 2 s and at once when the state changes (the API's wait). */
"use strict";

(() => {
	const {root, get, el, time, duration, between, state, error, version, FINAL} = Tac;
	const LOG_PAGE = 500;           /* lines shown at once */
	const DOWNLOAD_PAGE = 10000;    /* lines per request of a download (the API's most) */
	const FOLLOW_MS = 2000;
	const EVENT_LOOK_MS = 250;      /* a burst of events makes one look */
	const STREAM_LOOK_MS = 30000;   /* with the stream: a look now and then all the same */
	const params = new URLSearchParams(location.search);
	const kind = params.get("kind") === "session" ? "session" : "batch";
	const id = params.get("id") || "";
	const base = `/history/${kind === "session" ? "sessions" : "batches"}/${encodeURIComponent(id)}`;
	const log = {from: null, total: 0, follow: true};
	let job = null;

	function link(url) {
		return /^https?:\/\//i.test(url || "") ?
			el("a", {href: url, rel: "noreferrer", target: "_blank", text: url}) : url || "";
	}

	function fields(j) {
		const rows = [
			["Kind", kind === "session" ? `session (${j.sessionKind || "?"})` : "batch"],
			["Id", j.id], ["Name", j.name || "—"], ["Owner", j.owner || ""],
			["Proxy user", j.proxyUser || ""], ["Queue", j.queue || ""],
			["Submitted (UTC)", time(j.submitted)], ["Started (UTC)", time(j.started)],
			["Finished (UTC)", time(j.finished)],
			["Took", duration(j.durationS !== null ? j.durationS :
					  between(j.started || j.submitted, j.finished))],
			["Application", j.appId || ""],
			["Spark UI", link(j.appInfo && j.appInfo.sparkUiUrl)],
			["Driver log", link(j.appInfo && j.appInfo.driverLogUrl)],
			["Why it ended", j.finished ? j.reason || "" : "(runs)"],
			["Log lines", j.logLines.toLocaleString("en")],
		];
		document.getElementById("fields").replaceChildren(...rows.flatMap(([k, v]) =>
			[el("dt", {text: k}), el("dd", {"data-field": k},
				v === "" ? el("span", {class: "muted", text: "—"}) : v)]));
	}

	function timeline(events) {
		document.getElementById("events").replaceChildren(...events.map((e) =>
			el("tr", {},
				el("td", {class: "time", text: time(e.at)}),
				el("td", {}, e.from ? state(e.from) : "—"),
				el("td", {}, state(e.to)),
				el("td", {class: "reason", text: e.reason || ""}))));
	}

	function head(j) {
		const label = `${kind === "session" ? "Session" : "Batch"} ${j.id}`;
		document.title = `Tacitus · ${label}${j.name ? " · " + j.name : ""}`;
		document.getElementById("crumb").textContent = label;
		document.getElementById("title").textContent = j.name ? `${label} · ${j.name}` : label;
		document.getElementById("state").replaceChildren(state(j.state));
		document.getElementById("live").hidden = !!j.finished;
	}

	/* ---- the log ---- */

	async function showLog() {
		const total = job.logLines + 2;     /* Livy's "stdout: " and "stderr: " markers */
		if (log.follow || log.from === null)
			log.from = Math.max(total - LOG_PAGE, 0);
		const page = await get(base + "/log", {from: log.from, size: LOG_PAGE});
		log.total = page.total;
		const pre = document.getElementById("log");
		pre.textContent = page.log.join("\n");
		const last = page.from + page.log.length;
		document.getElementById("log-range").textContent =
			`lines ${page.total ? page.from + 1 : 0}–${last} of ${page.total.toLocaleString("en")}`;
		document.getElementById("log-count").textContent =
			`(${job.logLines.toLocaleString("en")} lines)`;
		document.getElementById("log-first").disabled = page.from === 0;
		document.getElementById("log-prev").disabled = page.from === 0;
		document.getElementById("log-next").disabled = last >= page.total;
		document.getElementById("log-last").disabled = last >= page.total;
		if (log.follow && !job.finished)
			pre.scrollTop = pre.scrollHeight;
	}

	function logTo(from) {
		log.from = Math.min(Math.max(from, 0), Math.max(log.total - 1, 0));
		log.follow = log.from + LOG_PAGE >= log.total;
		showLog().catch((e) => error(e.message));
	}

	/* The whole log as one text file, read page by page. */
	async function download() {
		const button = document.getElementById("download");
		const said = document.getElementById("download-state");
		button.disabled = true;
		try {
			const lines = [];
			let from = 0, total = 1;
			while (from < total) {
				const page = await get(base + "/log", {from, size: DOWNLOAD_PAGE});
				total = page.total;
				lines.push(...page.log);
				from = page.from + page.log.length;
				said.textContent = `${Math.min(from, total)} of ${total} lines…`;
				if (!page.log.length)
					break;
			}
			const blob = new Blob([lines.join("\n") + "\n"], {type: "text/plain"});
			const a = el("a", {href: URL.createObjectURL(blob), download: `${kind}-${id}.log`});
			document.body.append(a);
			a.click();
			a.remove();
			setTimeout(() => URL.revokeObjectURL(a.href), 60000);
			said.textContent = `${lines.length} lines`;
		} catch (e) {
			error(`Download: ${e.message}`);
			said.textContent = "";
		}
		button.disabled = false;
	}

	/* ---- a session's statements ---- */

	function output(o) {
		if (!o)
			return null;
		if (o.status === "error") {
			/* Python's traceback ends with "ename: evalue" itself */
			const tb = (o.traceback || []).join("").trim();
			const what = `${o.ename || "Error"}: ${o.evalue || ""}`;
			return el("pre", {class: "out out-error",
				text: tb.includes(what) ? tb : (what + "\n" + tb).trim()});
		}
		const data = o.data || {};
		const text = "text/plain" in data ? data["text/plain"] :
			JSON.stringify(data, null, 2);
		return el("pre", {class: "out", text: String(text)});
	}

	function statement(s) {
		const took = s.completed > 0 && s.started > 0 ? (s.completed - s.started) / 1000 : null;
		return el("article", {class: "statement", "data-statement": s.id},
			el("header", {},
				el("strong", {text: `#${s.id}`}), " ", state(s.state), " ",
				el("span", {class: "muted", text: took !== null ? duration(took) : ""}),
				s.started > 0 ? el("span", {class: "muted time",
					text: ` started ${time(new Date(s.started).toISOString())}`}) : null),
			el("pre", {class: "code", text: s.code || ""}),
			output(s.output));
	}

	async function showStatements() {
		const list = await get(base + "/statements");
		document.getElementById("statements-section").hidden = false;
		document.getElementById("statements-count").textContent =
			`(${list.total_statements})`;
		document.getElementById("statements").replaceChildren(
			...list.statements.map(statement));
	}

	/* ---- the page ---- */

	const livy = `/${kind === "session" ? "sessions" : "batches"}/${encodeURIComponent(id)}`;

	/* FOLLOW_MS, cut short by a change of j's state: the API answers a wait at the change */
	async function pause(j) {
		const path = livy + "/state";
		const t0 = Date.now();
		try {
			await get(path, {wait: FOLLOW_MS / 1000, since: j.state});
		} catch (e) {
			/* gone from Livy's routes, or an older server: a plain pause */
		}
		const took = Date.now() - t0;
		if (took < 100)         /* answered at once (refused, or another state's name): no busy loop */
			await new Promise(r => setTimeout(r, FOLLOW_MS - took));
	}

	/* The job's event stream: each event makes a look (at most one per EVENT_LOOK_MS).
	 * false when there is none (refused: the page then follows with pause). */
	let stream = null, streamRefused = !window.EventSource, soon = null, slow = null;
	function follow() {
		if (stream || streamRefused)
			return !streamRefused;
		stream = new EventSource(root + livy + "/events");
		const look = () => {
			if (!soon)
				soon = setTimeout(() => { soon = null; load(); }, EVENT_LOOK_MS);
		};
		stream.addEventListener("state", look);
		stream.addEventListener("log", look);
		stream.onerror = () => {
			if (stream && stream.readyState === EventSource.CLOSED) {
				stream = null;
				streamRefused = true;
				load();
			}
		};
		return true;
	}

	function unfollow() {
		if (stream)
			stream.close();
		stream = null;
	}

	/* one look at a time; an event during a look makes another after it */
	let looking = false, again = false;
	async function load() {
		if (looking) {
			again = true;
			return;
		}
		looking = true;
		again = false;
		clearTimeout(slow);
		try {
			job = await get(base);
			error(null);
			head(job);
			fields(job);
			timeline(job.events);
			await showLog();
			if (kind === "session")
				await showStatements();
		} catch (e) {
			error(e.message);
			if (e.status === 404 || e.status === 403)
				job = null;     /* nothing to follow */
		}
		document.body.dataset.loaded = String(Date.now());
		looking = false;
		if (again)
			load();
		else if (!job || job.finished)
			unfollow();
		else if (follow())
			slow = setTimeout(load, STREAM_LOOK_MS);
		else {
			await pause(job);
			load();
		}
	}

	document.getElementById("log-first").addEventListener("click", () => logTo(0));
	document.getElementById("log-prev").addEventListener("click", () => logTo(log.from - LOG_PAGE));
	document.getElementById("log-next").addEventListener("click", () => logTo(log.from + LOG_PAGE));
	document.getElementById("log-last").addEventListener("click", () => logTo(log.total - LOG_PAGE));
	document.getElementById("download").addEventListener("click", download);
	version();
	if (!/^\d{1,19}$/.test(id)) {
		error("No job named: job.html?kind=batch&id=7 or kind=session");
		return;
	}
	load();
})();
