/* common.js - what both pages of the web UI share: calling the API, building the page
 * from data (text only: nothing a job carries is ever read as HTML), showing times,
 * states and errors.  The API answers under the same origin and authentication. */
"use strict";

const Tac = (() => {
	/* The API's root: the UI is served at <root>/ui/. */
	const root = location.pathname.replace(/\/ui\/[^/]*$/, "");

	/* An error the API answered, with Livy's {"msg"} when it gave one. */
	class ApiError extends Error {
		constructor(status, msg) {
			super(msg);
			this.status = status;
		}
	}

	/* GET path (with params, an object of which empty values are left out); the
	 * parsed JSON, or throws ApiError. */
	async function get(path, params) {
		const q = new URLSearchParams();
		for (const [k, v] of Object.entries(params || {}))
			if (v !== "" && v !== null && v !== undefined)
				q.set(k, v);
		const url = root + path + (q.toString() ? "?" + q : "");
		const r = await fetch(url, {headers: {Accept: "application/json"},
					    credentials: "same-origin", cache: "no-store"});
		let body = null;
		try {
			body = await r.json();
		} catch (e) {
			body = null;
		}
		if (!r.ok)
			throw new ApiError(r.status, (body && body.msg) ||
					   `${r.status} ${r.statusText || "error"}`);
		return body;
	}

	/* An element: el("td", {class: "x", href: ...}, child, "text", ...). */
	function el(tag, attrs, ...children) {
		const e = document.createElement(tag);
		for (const [k, v] of Object.entries(attrs || {})) {
			if (v === null || v === undefined || v === false)
				continue;
			if (k === "class")
				e.className = v;
			else if (k === "text")
				e.textContent = v;
			else
				e.setAttribute(k, v === true ? "" : v);
		}
		for (const c of children)
			if (c !== null && c !== undefined)
				e.append(c instanceof Node ? c : String(c));
		return e;
	}

	/* "2026-12-06T11:12:07.123Z" as "2026-12-06 11:12:07" (UTC, said in the headers). */
	function time(iso) {
		return iso ? iso.replace("T", " ").replace(/\.\d+Z$/, "").replace(/Z$/, "") : "";
	}

	/* Seconds as "850 ms", "12.3 s", "4 min 05 s", "2 h 03 min". */
	function duration(s) {
		if (s === null || s === undefined || isNaN(s))
			return "";
		if (s < 1)
			return `${Math.round(s * 1000)} ms`;
		if (s < 60)
			return `${s.toFixed(1)} s`;
		const m = Math.floor(s / 60);
		if (m < 60)
			return `${m} min ${String(Math.floor(s % 60)).padStart(2, "0")} s`;
		return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, "0")} min`;
	}

	/* Seconds between two ISO times, null when either is missing. */
	function between(a, b) {
		return a && b ? (Date.parse(b) - Date.parse(a)) / 1000 : null;
	}

	/* A state as a coloured badge. */
	function state(s) {
		return el("span", {class: `state state-${s || "none"}`, text: s || "-"});
	}

	/* Show msg in the page's error bar (null hides it). */
	function error(msg) {
		const bar = document.getElementById("error");
		bar.textContent = msg || "";
		bar.hidden = !msg;
	}

	/* The server's version in the header, once. */
	async function version() {
		try {
			const v = await get("/version");
			document.getElementById("version").textContent = `Livy API ${v.version || "?"}`;
		} catch (e) {
			/* the header can do without it */
		}
	}

	const FINAL = new Set(["success", "dead", "killed"]);

	return {root, ApiError, get, el, time, duration, between, state, error, version, FINAL};
})();
