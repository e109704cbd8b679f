-- Argo CD health for storage.stateful.dev/FailoverGroup.
--
-- The group reports the failover machinery; the workload's own pods have their
-- own health in Argo CD. So a workload that is not Ready yet, or not created
-- yet (it often comes in a later sync wave), is named in the message of a
-- Healthy group instead of holding the wave.
-- FailedOver means the workload runs from a standby zone without its usual
-- protection: Degraded, so someone looks at it and plans the failback, unless
-- an automatic failback is already waiting out its delay.
-- Only the base and table libraries are used: Argo CD runs scripts from
-- argocd-cm without the string library.

-- Reasons of the Degraded condition that clear without a person: a node that
-- recovers, fencing under way, a zone that becomes Ready, a failback's delay.
local clearsByItself = {
  NodeUnhealthy = true,
  WaitingForFencing = true,
  TargetZoneUnhealthy = true,
  FailbackPending = true,
}

-- About the workload, not the failover: reported, never Degraded.
local workloadOnly = {
  PodsNotReady = true,
  WorkloadNotFound = true,
}

local function conditionsByType(status)
  local byType = {}
  if status.conditions ~= nil then
    for _, c in ipairs(status.conditions) do
      if c.type ~= nil then
        byType[c.type] = c
      end
    end
  end
  return byType
end

local function describe(c)
  local reason = c.reason or c.type or "Unknown"
  if c.message ~= nil and c.message ~= "" then
    return reason .. ": " .. c.message
  end
  return reason
end

local function preferredZone(o)
  if o.spec ~= nil and o.spec.zones ~= nil and o.spec.zones[1] ~= nil then
    return o.spec.zones[1]
  end
  return "the preferred zone"
end

-- The Degraded condition when it is True for a reason about the failover itself.
local function degradedBy(c)
  local d = c.Degraded
  if d == nil or d.status ~= "True" or workloadOnly[d.reason] then
    return nil
  end
  return d
end

local function workloadNote(c)
  if c.Ready ~= nil and c.Ready.status == "False" then
    return "; " .. describe(c.Ready)
  end
  return ""
end

-- The operator's phase is Pending whenever Ready is False outside a failover;
-- when only the workload is missing or not Ready, the failover machinery is
-- ready and the workload (often a later sync wave) has its own health.
local function waitsOnWorkloadOnly(phase, c)
  return phase == "Pending" and c.Ready ~= nil and c.Ready.status == "False" and workloadOnly[c.Ready.reason] == true
end

local function failingOver(hs, c, zone)
  local d = degradedBy(c)
  if d ~= nil and not clearsByItself[d.reason] then
    hs.status = "Degraded"
    hs.message = "Failover stopped, active zone " .. zone .. "; " .. describe(d)
    return hs
  end
  hs.message = "Failing over, active zone " .. zone
  if c.FailingOver ~= nil and c.FailingOver.message ~= nil then
    hs.message = hs.message .. ": " .. c.FailingOver.message
  end
  return hs
end

local function failedOver(hs, o, c, zone)
  local d = degradedBy(c)
  local automatic = o.spec ~= nil and o.spec.failback == "Automatic"
  if automatic and d ~= nil and d.reason == "FailbackPending" then
    hs.message = "Failed over to zone " .. zone .. ", failing back; " .. describe(d)
    return hs
  end
  hs.status = "Degraded"
  hs.message = "Failed over to zone " .. zone .. "; fail back when " .. preferredZone(o) .. " is healthy"
  if d ~= nil then
    hs.message = hs.message .. "; " .. describe(d)
  end
  return hs
end

local function health(o)
  local hs = { status = "Progressing", message = "Waiting for the operator to report status" }
  local status = o.status
  if status == nil or status.phase == nil then
    return hs
  end
  local generation = o.metadata.generation or 0
  if status.observedGeneration == nil or status.observedGeneration < generation then
    hs.message = "Waiting for the operator to observe generation " .. generation
    return hs
  end
  local c = conditionsByType(status)
  local zone = status.activeZone or "unknown"
  local phase = status.phase
  if phase == "FailingOver" then
    return failingOver(hs, c, zone)
  end
  if phase == "FailedOver" then
    return failedOver(hs, o, c, zone)
  end
  local d = degradedBy(c)
  if d ~= nil then
    hs.status = "Degraded"
    hs.message = "Degraded, active zone " .. zone .. "; " .. describe(d)
    return hs
  end
  if phase == "Healthy" or phase == "Degraded" or waitsOnWorkloadOnly(phase, c) then
    hs.status = "Healthy"
    hs.message = "Healthy, active zone " .. zone .. workloadNote(c)
    return hs
  end
  if phase == "Pending" and c.Ready ~= nil then
    hs.message = "Pending, active zone " .. zone .. "; " .. describe(c.Ready)
    return hs
  end
  hs.message = "Phase " .. phase .. ", active zone " .. zone
  return hs
end

return health(obj)
