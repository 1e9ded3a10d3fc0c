/* list.js - the history page: every batch and session ever run, newest first, paged by
 * the server (GET /history), with filters and a search kept in the page's address. */
"use strict";

(() => {
	const {get, el, time, duration, between, state, error, version, FINAL} = Tac;
	const FIELDS = ["q", "kind", "state", "owner", "size"];
	const REFRESH_MS = 5000;
	let view = {from: 0, total: 0, size: 50};
	let timer = null;

	/* The query the address holds. */
	function query() {
		const p = new URLSearchParams(location.search);
		const q = {};
		for (const f of FIELDS)
			q[f] = p.get(f) || "";
		q.size = parseInt(q.size, 10) || 50;
		q.from = Math.max(parseInt(p.get("from"), 10) || 0, 0);
		return q;
	}

	/* The address for query q (defaults left out), pushed or replacing the current. */
	function go(q, push) {
		const p = new URLSearchParams();
		for (const [k, v] of Object.entries(q))
			if (v !== "" && !(k === "from" && v === 0) && !(k === "size" && v === 50))
				p.set(k, v);
		const url = location.pathname + (p.toString() ? "?" + p : "");
		if (push)
			history.pushState(null, "", url);
		else
			history.replaceState(null, "", url);
		load();
	}

	/* The form shows query q. */
	function fill(q) {
		for (const f of FIELDS)
			document.getElementById(f).value = String(q[f]);
	}

	function row(j) {
		const href = `job.html?kind=${j.kind}&id=${j.id}`;
		return el("tr", {"data-kind": j.kind, "data-id": j.id},
			el("td", {text: j.kind}),
			el("td", {class: "num"}, el("a", {href, text: j.id})),
			el("td", {class: "name"}, el("a", {href, text: j.name || "—"})),
			el("td", {text: j.owner || ""}),
			el("td", {}, state(j.state)),
			el("td", {class: "time", text: time(j.submitted)}),
			el("td", {class: "num", text: duration(between(j.submitted, j.finished))}),
			el("td", {class: "mono", text: j.appId || ""}));
	}

	function render(page, q) {
		const rows = document.getElementById("rows");
		rows.replaceChildren(...page.jobs.map(row));
		view = {from: q.from, total: page.total, size: q.size};
		const last = q.from + page.jobs.length;
		document.getElementById("range").textContent = page.total === 0 ? "0 jobs" :
			`${page.jobs.length ? q.from + 1 : q.from}–${last} of ${page.total.toLocaleString("en")}`;
		document.getElementById("empty").hidden = page.total !== 0;
		const first = q.from === 0, end = last >= page.total;
		document.getElementById("newest").disabled = first;
		document.getElementById("newer").disabled = first;
		document.getElementById("older").disabled = end;
		document.getElementById("oldest").disabled = end;
		/* a page with a job that has not ended follows it */
		clearTimeout(timer);
		if (page.jobs.some((j) => !FINAL.has(j.state)))
			timer = setTimeout(load, REFRESH_MS);
	}

	async function load() {
		const q = query();
		fill(q);
		try {
			const page = await get("/history", q);
			error(null);
			render(page, q);
		} catch (e) {
			error(e.message);
		}
		document.body.dataset.loaded = String(Date.now());
	}

	function to(from) {
		go(Object.assign(query(), {from: Math.max(from, 0)}), true);
	}

	document.getElementById("filters").addEventListener("submit", (ev) => {
		ev.preventDefault();
		const q = {from: 0};
		for (const f of FIELDS)
			q[f] = document.getElementById(f).value.trim();
		q.size = parseInt(q.size, 10) || 50;
		go(q, true);
	});
	for (const f of ["kind", "state", "size"])
		document.getElementById(f).addEventListener("change", () =>
			document.getElementById("filters").requestSubmit());
	/* clearing the search box (its ×) shows everything again */
	document.getElementById("q").addEventListener("search", () =>
		document.getElementById("filters").requestSubmit());
	document.getElementById("newest").addEventListener("click", () => to(0));
	document.getElementById("newer").addEventListener("click", () => to(view.from - view.size));
	document.getElementById("older").addEventListener("click", () => to(view.from + view.size));
	document.getElementById("oldest").addEventListener("click", () =>
		to(Math.floor(Math.max(view.total - 1, 0) / view.size) * view.size));
	window.addEventListener("popstate", load);
	version();
	load();
})();
